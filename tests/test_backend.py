"""Backend choice: $KERAS_BACKEND, else the first installed of tensorflow, jax, torch."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from gexnb import backend


def test_an_explicit_backend_is_kept(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert backend.choose_backend() == "jax" and os.environ["KERAS_BACKEND"] == "jax"


def test_first_installed_backend_is_chosen(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    installed = {"jax", "torch"}
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: object() if name in installed else None
    )
    assert backend.choose_backend() == "jax" and os.environ["KERAS_BACKEND"] == "jax"
    monkeypatch.delenv("KERAS_BACKEND")
    installed.clear()
    assert backend.choose_backend() is None and "KERAS_BACKEND" not in os.environ


def test_import_gexnb_sets_the_backend_before_keras():
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    code = "import gexnb, os, keras; print(os.environ['KERAS_BACKEND'], keras.backend.backend())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    chosen, used = out.stdout.split()
    assert chosen == used and chosen in backend.BACKENDS


def test_backend_start_up_lines_are_hidden_and_failures_replayed(tmp_path):
    code = (
        "import sys; sys.modules['ipykernel'] = type(sys)('ipykernel')\n"
        "import gexnb, keras\n"
        "keras.layers.Dense(1)(keras.ops.ones((1, 2)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stderr.strip() == ""
    broken = tmp_path / "keras.py"
    broken.write_text(
        "import sys\nprint('keras start-up line', file=sys.stderr)\n"
        "raise ImportError('broken keras')\n"
    )
    env["PYTHONPATH"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)  # fmt: skip
    assert out.returncode != 0
    assert "keras start-up line" in out.stderr and "broken keras" in out.stderr
