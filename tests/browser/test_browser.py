"""Browser test: JupyterLab + headless Debian chromium (Playwright) drive a live viewer.

Run with ``make test-browser`` (``bash tests/browser/setup.sh`` then
``pytest -m browser tests/browser``). The test

1. writes a small notebook into a temporary root folder; it shows a
   :class:`gexnb.widgets.GeneAttentionViewer` over fixed data (no model training needed);
2. starts JupyterLab on 127.0.0.1 with a free port and a random token;
3. opens the notebook in ``/usr/bin/chromium`` (never Playwright's own browser), runs all
   cells, moves the sample slider with the keyboard and checks that the label text and the
   rendered image change;
4. saves a screenshot to ``tests/browser/artifacts/gene_attention_viewer.png`` (ignored by
   git) and shuts the server down;
5. opens each shipped notebook (a copy of ``notebooks/`` and ``parameters/``) as a new user
   would, runs all cells, and checks that every cell ran, with no error output, no noise line
   (TensorFlow, absl, kernel messages) and the generated conclusion; a screenshot of each is
   kept in ``tests/browser/artifacts/<notebook>.png``.

Every request the page makes to a non-loopback address is aborted; the whole test is bounded
to about two minutes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KERNEL_IDLE = (
    "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
    " return !!(w && w.sessionContext && w.sessionContext.session &&"
    " w.sessionContext.session.kernel &&"
    " w.sessionContext.session.kernel.status === 'idle'); }"
)
NOTEBOOK_CODE = """\
import numpy as np
from gexnb.widgets import GeneAttentionViewer, GeneFold

rng = np.random.default_rng(0)
weights = rng.random((8, 5))
weights /= weights.sum(axis=1, keepdims=True)
truth = np.linspace(1.0, 8.0, 8)
fold = GeneFold("fold 0", weights, ["ESR1", "MKI67", "TOP2A", "AURKA", "GATA3"],
                truth, truth + 0.1, [f"S{i}" for i in range(8)])
viewer = GeneAttentionViewer([fold])
viewer
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_notebook(root: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(NOTEBOOK_CODE)]
    nb.metadata["kernelspec"] = {
        "name": "gexnb",
        "display_name": "Python (gexnb)",
        "language": "python",
    }
    path = root / "viewer.ipynb"
    nbformat.write(nb, path)
    return path


def _wait_for_server(url: str, deadline: float, proc: subprocess.Popen) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer at {url}")


@contextlib.contextmanager
def _jupyterlab(fill_root):
    """JupyterLab on a free loopback port over a temporary root that ``fill_root`` fills."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: run bash tests/browser/setup.sh")
    pytest.importorskip("playwright.sync_api", reason="run bash tests/browser/setup.sh")
    work = Path(tempfile.mkdtemp(prefix="gexnb-browser-"))
    root = work / "root"
    root.mkdir()
    fill_root(root)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        JUPYTER_CONFIG_DIR=str(work / "config"),
        TF_CPP_MIN_LOG_LEVEL="2",
        MPLBACKEND="Agg",
        PYTHONPATH=str(PROJECT),
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_remote_access=False",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.workspaces_dir={work / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(work / "server.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            _wait_for_server(
                f"http://127.0.0.1:{port}/api/status?token={token}", time.monotonic() + 60, proc
            )
        except (RuntimeError, TimeoutError) as exc:
            log.flush()
            tail = (work / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{exc}\n--- server log ---\n{tail}") from exc
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "root": root}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture()
def jupyter_server():
    with _jupyterlab(_write_notebook) as server:
        yield server


def _copy_project(root: Path) -> None:
    """The shipped notebooks and profiles (a project: outputs land under root/runs)."""
    shutil.copytree(PROJECT / "notebooks", root / "notebooks")
    shutil.copytree(PROJECT / "parameters", root / "parameters")


@pytest.fixture(scope="module")
def project_server():
    with _jupyterlab(_copy_project) as server:
        yield server


@contextlib.contextmanager
def _browser():
    """A page of /usr/bin/chromium that can reach loopback addresses only."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="gexnb-chromium-")
    blocked: list[str] = []
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1400, "height": 1000},
            )

            def loopback_only(route):
                host = urlparse(route.request.url).hostname
                if host in ("127.0.0.1", "localhost"):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            context.route("**/*", loopback_only)
            page = context.new_page()
            page.set_default_timeout(60_000)
            yield page
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert not [u for u in blocked if not u.startswith("data:")], blocked


#: Every output of every cell of the current notebook, from the notebook model.
OUTPUTS = (
    "() => { const p = window.jupyterapp.shell.currentWidget; const out = [];"
    " const cells = p.content.model.cells;"
    " for (let i = 0; i < cells.length; i++) { const c = cells.get(i);"
    " if (c.type !== 'code') continue;"
    " out.push({count: c.executionCount, outputs: c.outputs.toJSON()}); }"
    " return out; }"
)
#: Lines the gexnb kernel silences (TensorFlow, absl, the kernel's own messages).
NOISE = ("cuInit", "oneDNN", "cpu_feature_guard", "retracing", "TCP without encryption",
         "KeyboardInterrupt", "absl::InitializeLog")  # fmt: skip
SHIPPED = ["01_data_prep", "02_bigru_training", "03_landmark_models", "04_attention_lstm"]


@pytest.mark.parametrize("stem", SHIPPED)
def test_shipped_notebook_runs_all_quietly(project_server, stem):
    """Run All on a shipped notebook as a new user would: it ends, with no error output and
    no noise line, and with its generated conclusion."""
    base, token = project_server["url"], project_server["token"]
    ARTIFACTS.mkdir(exist_ok=True)
    started = time.monotonic()
    with _browser() as page:
        # a workspace of its own (reset): no tab of an earlier test comes back
        page.goto(f"{base}/lab/workspaces/{stem}/tree/notebooks/{stem}.ipynb?reset&token={token}")
        page.wait_for_function(
            "p => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " return !!(w && w.context && w.context.path.endsWith(p)); }",
            arg=f"{stem}.ipynb",
        )
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", state="attached")
        page.wait_for_function(KERNEL_IDLE)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        finished = (
            f"() => {{ const cells = ({OUTPUTS})(); return cells.length > 0 &&"
            " (cells.every(c => c.count !== null) ||"
            " cells.some(c => c.outputs.some(o => o.output_type === 'error'))); }"
        )
        try:
            page.wait_for_function(finished, timeout=400_000)
            page.wait_for_function(KERNEL_IDLE, timeout=120_000)
        finally:
            cells = page.evaluate(OUTPUTS)
            page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=False)
            page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        waiting = [i for i, c in enumerate(cells) if c["count"] is None]
    outputs = [o for cell in cells for o in cell["outputs"]]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"{stem}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    assert not waiting, f"{stem}: code cells {waiting} did not run"
    text = "\n".join(
        "".join(o.get("text", "")) if o.get("output_type") == "stream"
        else "".join(o.get("data", {}).get("text/plain", ""))
        for o in outputs
    )  # fmt: skip
    noisy = [line for line in text.splitlines() if any(n in line for n in NOISE)]
    assert not noisy, f"{stem}: noise in the outputs: {noisy[:3]}"
    markdown = "\n".join("".join(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    assert "**Conclusion**" in markdown, f"{stem}: no generated conclusion"
    assert (project_server["root"] / "runs" / "interactive" / stem / "conclusion.md").is_file()
    assert time.monotonic() - started < 450


def test_slider_changes_the_rendered_view(jupyter_server):
    started = time.monotonic()
    base, token = jupyter_server["url"], jupyter_server["token"]
    ARTIFACTS.mkdir(exist_ok=True)
    with _browser() as page:
        page.goto(f"{base}/lab/tree/viewer.ipynb?token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", state="visible")
        # wait until the kernel is ready, then run all cells through the app's commands
        page.wait_for_function(KERNEL_IDLE)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        label = page.locator(".widget-html-content").filter(has_text="sample")
        label.first.wait_for(state="visible")
        image = page.locator("img.widget-image").first
        image.wait_for(state="visible")
        before_text = label.first.inner_text()
        before_src = image.get_attribute("src")
        assert "sample S0 (#0)" in before_text, before_text
        handle = page.locator(".widget-slider .noUi-handle").first
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        page.wait_for_function(
            "t => Array.from(document.querySelectorAll('.widget-html-content'))"
            ".some(e => e.innerText.includes(t))",
            arg="sample S3 (#3)",
        )
        page.wait_for_function(
            "src => { const i = document.querySelector('img.widget-image');"
            " return i && i.getAttribute('src') !== src; }",
            arg=before_src,
        )
        page.wait_for_function(KERNEL_IDLE)  # all three slider updates rendered
        page.wait_for_function(
            "() => document.querySelector('img.widget-image') !== null &&"
            " document.querySelector('img.widget-image').complete"
        )
        after_text = label.first.inner_text()
        assert after_text != before_text and "true 4.0000" in after_text
        page.screenshot(path=str(ARTIFACTS / "gene_attention_viewer.png"), full_page=True)
    assert time.monotonic() - started < 150
