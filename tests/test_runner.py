"""Runner: parameters cell parsing, profiles, validation, papermill runs, failures, summary."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from gexnb import rundir, runner
from gexnb.errors import GexnbError, InputError, ParameterError
from gexnb.io import write_json_atomic, write_metrics
from tests.conftest import PROJECT_DIR

PARAMS = (
    'output_dir: str = "."  # run folder\n'
    "seed: int = 0  # random seed\n"
    "scale: float = 1.0  # multiplies the metric\n"
    'label: str = "x"\n'
)
WRITE_METRICS = (
    "import os\n"
    "from gexnb.io import write_metrics\n"
    'write_metrics(output_dir, {"m/test/mae": 0.5 * scale, "m/test/r2": 0.25, '
    '"base/test/mae": 1.0})\n'
    'open("cwd.txt", "w").write(os.getcwd() + "\\n" + label)\n'
)


def _notebook(path: Path, params: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test"), first]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "gexnb", "display_name": "gexnb", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def make_project(root: Path, *, failing: bool = False) -> Path:
    """A project with 01_ok (writes metrics) and, optionally, 02_fail (raises in cell 4)."""
    _notebook(root / "notebooks" / "01_ok.ipynb", PARAMS, WRITE_METRICS)
    (root / "parameters" / "01_ok").mkdir(parents=True)
    (root / "parameters" / "01_ok" / "quick.yaml").write_text("scale: 2\nlabel: ${GEXNB_DATA}\n")
    if failing:
        _notebook(
            root / "notebooks" / "02_fail.ipynb",
            'output_dir: str = "."\nseed: int = 0\n',
            "x = 1",
            'raise ValueError("boom at purpose")',
        )
        (root / "parameters" / "02_fail").mkdir(parents=True)
        (root / "parameters" / "02_fail" / "quick.yaml").write_text("{}\n")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


# ------------------------------------------------------------------ parsing and validation


def _params_notebook(path, source):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    nbformat.write(nb, path)
    return path


def test_parameters_types_defaults_comments_through_papermill(tmp_path):
    path = _params_notebook(
        tmp_path / "01_p.ipynb",
        PARAMS + "sizes: list = [1, 2]  # a list\nflag: bool = True\nplain = 3\n",
    )
    params = runner.notebook_parameters(path)
    assert list(params) == ["output_dir", "seed", "scale", "label", "sizes", "flag", "plain"]
    assert params["seed"] == runner.NotebookParameter("seed", "int", 0, "random seed")
    assert params["scale"].default == 1.0 and params["scale"].type == "float"
    assert params["sizes"].default == [1, 2] and params["sizes"].type == "list"
    assert params["label"].comment == ""
    assert params["plain"].type is None and params["plain"].default == 3


def test_parameters_cells_that_are_refused(tmp_path):
    bad = _params_notebook(tmp_path / "01_a.ipynb", "a: int = 1\nb: int = = 2\n")
    with pytest.raises(ParameterError, match="line 2"):
        runner.notebook_parameters(bad)
    expr = _params_notebook(tmp_path / "01_b.ipynb", "a: int = 1\nb: int = a + 1\n")
    with pytest.raises(ParameterError, match="'b'.*not a literal"):
        runner.notebook_parameters(expr)
    # papermill skips (with only a log line) a line whose comment holds '=': refused here
    skipped = _params_notebook(tmp_path / "01_c.ipynb", "a: int = 1\nb: dict = {}  # k = 2\n")
    with pytest.raises(ParameterError, match="line 2: papermill cannot read parameter 'b'"):
        runner.notebook_parameters(skipped)


def test_notebook_without_parameters_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "01_x.ipynb")
    with pytest.raises(InputError, match="tagged 'parameters'"):
        runner.notebook_parameters(tmp_path / "01_x.ipynb")


def test_find_project_and_resolve_notebook(project):
    sub = project / "notebooks"
    assert runner.find_project_dir(sub) == project.resolve()
    path = project / "notebooks" / "01_ok.ipynb"
    assert runner.resolve_notebook("01", project) == path
    assert runner.resolve_notebook("01_ok", project) == path
    assert runner.resolve_notebook(str(path), project) == path.resolve()
    with pytest.raises(InputError, match="not a notebook; notebooks: 01_ok"):
        runner.resolve_notebook("07", project)
    with pytest.raises(InputError, match="no gexnb project"):
        runner.find_project_dir(project.parent)


def test_profile_must_be_a_mapping(project):
    folder = project / "parameters" / "01_ok"
    (folder / "bad.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ParameterError, match="must be a mapping.*got list"):
        runner.load_profile(project, "01_ok", "bad")
    (folder / "broken.yaml").write_text("a: [1, 2\n")
    with pytest.raises(ParameterError, match="not valid YAML"):
        runner.load_profile(project, "01_ok", "broken")
    with pytest.raises(ParameterError, match=r"no profile 'paper'.*profiles: bad, broken, quick"):
        runner.load_profile(project, "01_ok", "paper")
    (folder / "empty.yaml").write_text("")
    assert runner.load_profile(project, "01_ok", "empty") == {}


def test_profile_extends_another_and_replaces_whole_keys(project):
    folder = project / "parameters" / "01_ok"
    (folder / "base.yaml").write_text("scale: 2\nlabel: a\nopts: {x: 1, y: 2}\n")
    (folder / "child.yaml").write_text("extends: base\nlabel: b\nopts: {x: 3}\n")
    (folder / "grandchild.yaml").write_text("extends: child\nscale: 5\n")
    assert runner.load_profile(project, "01_ok", "child") == {
        "scale": 2, "label": "b", "opts": {"x": 3},
    }  # fmt: skip
    assert runner.load_profile(project, "01_ok", "grandchild")["scale"] == 5
    assert runner.load_profile(project, "01_ok", "grandchild")["label"] == "b"
    (folder / "loop_a.yaml").write_text("extends: loop_b\n")
    (folder / "loop_b.yaml").write_text("extends: loop_a\n")
    with pytest.raises(ParameterError, match=r"loop_b.yaml: .*circle \(loop_a -> loop_b -> loop_a"):
        runner.load_profile(project, "01_ok", "loop_a")
    (folder / "orphan.yaml").write_text("extends: nowhere\n")
    with pytest.raises(ParameterError, match=r"no profile 'nowhere'"):
        runner.load_profile(project, "01_ok", "orphan")
    (folder / "odd.yaml").write_text("extends: [base]\n")
    with pytest.raises(ParameterError, match=r"odd.yaml: 'extends' must name a profile"):
        runner.load_profile(project, "01_ok", "odd")


def test_env_expansion_default_and_explicit(project, monkeypatch):
    monkeypatch.delenv("GEXNB_DATA", raising=False)
    expected = str((project.parent / "shared" / "data").resolve())
    assert runner.load_profile(project, "01_ok", "quick") == {"scale": 2, "label": expected}
    monkeypatch.setenv("GEXNB_DATA", "/data/here")
    assert runner.load_profile(project, "01_ok", "quick")["label"] == "/data/here"
    env = {"A": "1", "B": "two"}
    assert runner.expand_env({"k": ["${A}/x", "${B}"], "n": 3}, env) == {
        "k": ["1/x", "two"],
        "n": 3,
    }
    with pytest.raises(ParameterError, match="NOPE is not set"):
        runner.expand_env("${NOPE}/file", env)


def test_parse_override_yaml_values():
    assert runner.parse_override("n=3") == ("n", 3)
    assert runner.parse_override("lr=0.001") == ("lr", 0.001)
    assert runner.parse_override("flag=true") == ("flag", True)
    assert runner.parse_override("units=[8, 4]") == ("units", [8, 4])
    assert runner.parse_override("path=/a/b.txt") == ("path", "/a/b.txt")
    assert runner.parse_override("empty=") == ("empty", "")
    with pytest.raises(ParameterError, match="key=value"):
        runner.parse_override("novalue")
    # '{n_sequences:0}' is YAML for {"n_sequences:0": None}: the notebook said "unknown
    # option(s) n_sequences:0" (found by a new-user trial)
    with pytest.raises(ParameterError, match=r"-p motif_discovery: 'n_sequences:0' reads as "
                       r"one key without a value; YAML needs a space after the colon: "
                       r"\{n_sequences: 0\}"):  # fmt: skip
        runner.parse_override("motif_discovery={n_sequences:0}")
    with pytest.raises(ParameterError, match="'epochs:2'"):
        runner.parse_override("model_params={legnet: {epochs:2}}")
    assert runner.parse_override("m={a: 1}") == ("m", {"a": 1})


def test_unknown_parameter_refused_with_valid_names(project, tmp_path):
    with pytest.raises(ParameterError) as info:
        runner.resolve_parameters("01", overrides={"sclae": 3}, project_dir=project)
    message = str(info.value)
    assert "'sclae'" in message and "valid names: output_dir, seed, scale, label" in message
    (project / "parameters" / "01_ok" / "typo.yaml").write_text("seeds: 1\n")
    with pytest.raises(ParameterError, match="typo.yaml: unknown parameter.*seeds.*valid names"):
        runner.resolve_parameters("01", profile="typo", project_dir=project)


def test_a_profile_file_of_ones_own_is_read_from_its_path(project, tmp_path):
    """``--profile /tmp/mpra.yaml`` looked for ``parameters/<nb>/tmp/mpra.yaml.yaml``: a
    user's own profile needed a copy of the project (a new user's trial)."""
    folder = project / "parameters" / "01_ok"
    (folder / "base.yaml").write_text("scale: 2\nlabel: a\n")
    own = tmp_path / "mine" / "mpra.yaml"
    own.parent.mkdir()
    own.write_text("extends: base\nlabel: mine\n")
    assert runner.load_profile(project, "01_ok", str(own)) == {"scale": 2, "label": "mine"}
    assert runner.profile_name(str(own)) == "mpra" and runner.profile_name("real") == "real"
    _, values, out = runner.resolve_parameters("01", profile=str(own), project_dir=project)
    assert out == project.resolve() / "runs" / "mpra" / "01_ok" and values["label"] == "mine"
    with pytest.raises(ParameterError, match=r"none.yaml: profile file not found"):
        runner.load_profile(project, "01_ok", str(tmp_path / "none.yaml"))
    # its relative paths lie beside it; its unknown names are said of it; run-all reads it
    # (the review: relative paths were the project's, run-all looked for mpra.yaml.yaml)
    own.write_text("extends: base\nlabel: mine\ncross: {expression_path: data.tsv}\n")
    with pytest.raises(ParameterError, match=r"mine/mpra.yaml: unknown parameter\(s\) cross"):
        runner.resolve_parameters("01", profile=str(own), project_dir=project)
    _notebook(
        project / "notebooks" / "02_path.ipynb", 'output_dir: str = "."\nsequence_path: str = ""\n'
    )
    (project / "parameters" / "02_path").mkdir()
    (own.parent / "data.tsv").write_text("ACGT\t1\n")
    other = own.parent / "seqs.yaml"
    other.write_text("sequence_path: data.tsv\n")
    _, values, _ = runner.resolve_parameters("02", profile=str(other), project_dir=project)
    assert values["sequence_path"] == str(own.parent / "data.tsv")
    own.write_text("extends: base\nlabel: mine\n")
    from gexnb.runner.summary import _check_all

    path = project / "notebooks" / "01_ok.ipynb"
    assert _check_all([path], project, str(own), {"01_ok": {}}, tmp_path / "runs") == {}


def test_a_model_params_override_is_merged_into_the_profiles_model_by_model():
    """``-p 'model_params={knn_ge: {k: 3}}'`` replaced the quick profile's whole mapping, so
    D-GEX was trained at its builder's 3 x 9,000 units (163 million weights, a diverged MAE
    of 9.76 against 0.89) without a word (a new-user trial). The override is now merged
    model by model: a model's keys replace the profile's, ``null`` drops a model's."""
    _, quick = runner.profile_values("03", profile="quick", project_dir=PROJECT_DIR)
    _, values = runner.profile_values(
        "03", profile="quick", project_dir=PROJECT_DIR,
        overrides={"model_params": {"knn_ge": {"k": 3}, "dgex": {"dropout": 0.3},
                                    "egex": None}},
    )  # fmt: skip
    got, profile = values["model_params"], quick["model_params"]
    assert got["knn_ge"] == {"k": 3} and "egex" not in got
    assert got["dgex"] == {**profile["dgex"], "dropout": 0.3}
    assert got["taaf_dgex"] == profile["taaf_dgex"]
    _, real = runner.profile_values("02", profile="real", project_dir=PROJECT_DIR)
    _, values = runner.profile_values(
        "02", profile="real", project_dir=PROJECT_DIR,
        overrides={"model_params": {"kmer_ridge": {"k_max": 4}}},
    )  # fmt: skip
    assert values["model_params"] == {**real["model_params"], "kmer_ridge": {"k_max": 4}}
    assert runner.merged_per_model({"a": {"x": 1}}, "text") == "text"
    # {} says every model at its builder's defaults (a review: it was a no-op)
    assert runner.merged_per_model({"a": {"x": 1}}, {}) == {}


def test_a_profiles_companion_file_is_not_paired_with_a_users_input(tmp_path):
    """`gexnb run 02 --profile real -p sequence_path=mine.tsv` kept the profile's DREAM
    yeast test_path and printed a DREAM test Pearson r for a model of Drosophila enhancers
    (found by a new-user trial)."""
    mine = tmp_path / "mine.tsv"
    mine.write_text("ACGTACGTAC\t1.0\n")
    with pytest.raises(ParameterError, match=r"profile real's test_path \(test_measured\.tsv\) "
                       r"belongs to its own sequence_path.*-p test_path=''"):  # fmt: skip
        runner.profile_values("02", profile="real", overrides={"sequence_path": str(mine)},
                              project_dir=PROJECT_DIR)  # fmt: skip
    for test_path in ("", str(mine)):
        _, values = runner.profile_values(
            "02", profile="real", project_dir=PROJECT_DIR,
            overrides={"sequence_path": str(mine), "test_path": test_path},
        )  # fmt: skip
        assert values["test_path"] == test_path
    with pytest.raises(ParameterError, match="sample_annotation"):
        runner.profile_values("03", profile="real", overrides={"expression_path": str(mine)},
                              project_dir=PROJECT_DIR)  # fmt: skip
    with pytest.raises(ParameterError, match="probes_path"):
        runner.profile_values("04", profile="real", overrides={"expression_path": str(mine)},
                              project_dir=PROJECT_DIR)  # fmt: skip
    # a profile of the user's own extending real: the same (found by the session's review)
    folder = tmp_path / "project"
    (folder / "notebooks").mkdir(parents=True)
    (folder / "notebooks" / "02_bigru_training.ipynb").write_bytes(
        (PROJECT_DIR / "notebooks" / "02_bigru_training.ipynb").read_bytes()
    )
    (folder / "parameters" / "02_bigru_training").mkdir(parents=True)
    for name in ("real", "quick"):
        (folder / "parameters" / "02_bigru_training" / f"{name}.yaml").write_bytes(
            (PROJECT_DIR / "parameters" / "02_bigru_training" / f"{name}.yaml").read_bytes()
        )
    mine_profile = folder / "parameters" / "02_bigru_training" / "mine.yaml"
    mine_profile.write_text(f"extends: real\nsequence_path: {mine}\n")
    with pytest.raises(ParameterError, match=r"profile real's test_path .* set test_path in "
                       r".*mine\.yaml too"):  # fmt: skip
        runner.profile_values("02", profile="mine", project_dir=folder)
    mine_profile.write_text(f"extends: real\nsequence_path: {mine}\ntest_path: ''\n")
    assert runner.profile_values("02", profile="mine", project_dir=folder)[1]["test_path"] == ""
    # the quick profile has no such files; another parameter changes nothing
    runner.profile_values("02", overrides={"sequence_path": str(mine)}, project_dir=PROJECT_DIR)
    runner.profile_values("02", profile="real", overrides={"epochs": 1}, project_dir=PROJECT_DIR)


def test_renamed_parameters_name_their_new_name(project, tmp_path):
    """Notebook 02's compare_models is now models (as in 03 and 04), 01's top_k is k_genes (as
    in 04): an old name in a profile, -p or a sweep says the new one."""
    declared = {p.stem: runner.notebook_parameters(p) for p in runner.list_notebooks(PROJECT_DIR)}
    everywhere = {name for params in declared.values() for name in params}
    for old, new in runner.RENAMED_PARAMETERS.items():
        assert old not in everywhere and new in everywhere, (old, new)
    with pytest.raises(ParameterError, match="'compare_models' was renamed 'models'"):
        runner.resolve_parameters("02", overrides={"compare_models": []}, project_dir=PROJECT_DIR)
    with pytest.raises(ParameterError, match="'top_k' was renamed 'k_genes'"):
        runner.run_sweep("01", {"top_k": [5, 10]}, tmp_path / "sweep", project_dir=PROJECT_DIR)
    assert not (tmp_path / "sweep").exists()


def test_parameter_types_checked_and_coerced(project, tmp_path):
    _, params, out = runner.resolve_parameters(
        "01",
        overrides={"seed": 3, "scale": 2, "label": 5},
        output_dir=tmp_path / "o",
        project_dir=project,
    )
    assert params == {"scale": 2.0, "label": "5", "seed": 3, "output_dir": str(out)}
    assert isinstance(params["scale"], float)
    _, params, _ = runner.resolve_parameters(
        "01", overrides=dict([runner.parse_override("scale=1e-3")]), project_dir=project
    )
    assert params["scale"] == 0.001  # YAML 1.1 reads 1e-3 as text; the float type converts it
    with pytest.raises(ParameterError, match="'seed' expects int, got 'abc'"):
        runner.resolve_parameters("01", overrides={"seed": "abc"}, project_dir=project)
    with pytest.raises(ParameterError, match="'scale' expects float"):
        runner.resolve_parameters("01", overrides={"scale": True}, project_dir=project)


def test_relative_input_paths_are_anchored_where_they_were_written(project, tmp_path, monkeypatch):
    _notebook(
        project / "notebooks" / "03_paths.ipynb",
        'output_dir: str = "."\nexpression_path: str = ""\nlandmark_list: str = ""\n'
        'cross: dict = {}\nlabel: str = ""\n',
        "x = 1",
    )
    folder = project / "parameters" / "03_paths"
    folder.mkdir(parents=True)
    (folder / "quick.yaml").write_text("landmark_list: data/lm.txt\nlabel: data/not_a_path\n")
    here = tmp_path / "where_the_user_is"
    here.mkdir()
    monkeypatch.chdir(here)
    _, params, _ = runner.resolve_parameters(
        "03",
        overrides={"expression_path": "mine.tsv", "cross": {"expression_path": "../b.tsv"}},
        output_dir=tmp_path / "out",
        project_dir=project,
    )
    assert params["expression_path"] == str(here / "mine.tsv")  # -p: the working folder
    assert params["cross"] == {"expression_path": str(tmp_path / "b.tsv")}
    assert params["landmark_list"] == str(project.resolve() / "data" / "lm.txt")  # profile
    assert params["label"] == "data/not_a_path"
    _, params, _ = runner.resolve_parameters(
        "03", overrides={"expression_path": "", "landmark_list": "/abs/lm.txt"}, project_dir=project
    )
    assert params["expression_path"] == "" and params["landmark_list"] == "/abs/lm.txt"


def test_missing_input_files_stop_the_run_before_the_kernel(project, tmp_path, monkeypatch):
    _notebook(
        project / "notebooks" / "04_inputs.ipynb",
        'output_dir: str = "."\nexpression_path: str = ""\ncross: dict = {}\n'
        'if_data_missing: str = "error"\n',
        "raise RuntimeError('the kernel ran')",
    )
    (project / "parameters" / "04_inputs").mkdir(parents=True)
    (project / "parameters" / "04_inputs" / "quick.yaml").write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    earlier = rundir.RunRecord(out, "04_inputs", "quick", {})  # an earlier run's result
    (out / "metrics.json").write_text('{"earlier/test/mae": 1.0}')
    earlier.finish("ok")
    with pytest.raises(InputError, match=r"mine\.tsv: not found \(parameter expression_path\)"):
        runner.run_notebook("04", overrides={"expression_path": "mine.tsv"}, output_dir=out,
                            project_dir=project)  # fmt: skip
    assert (out / "metrics.json").exists()  # nothing of the earlier run removed
    with pytest.raises(InputError, match=r"b\.tsv: not found \(parameter cross\.expression_path"):
        runner.run_notebook("04", overrides={"cross": {"expression_path": "b.tsv"}},
                            output_dir=out, project_dir=project)  # fmt: skip
    # notebook 03's dry run: a missing expression file is allowed, the kernel runs
    with pytest.raises(runner.NotebookExecutionError, match="the kernel ran"):
        runner.run_notebook("04", overrides={"expression_path": "big.gctx",
                                             "if_data_missing": "build_only"},
                            output_dir=out, project_dir=project)  # fmt: skip


def test_input_links_keep_their_own_name(project, tmp_path, monkeypatch):
    """A relative link to a git-annex or DVC object (no extension) was resolved to its target,
    whose name no reader knows; a link loop was an internal error (found by a fault sweep)."""
    _notebook(project / "notebooks" / "04_links.ipynb",
              'output_dir: str = "."\nexpression_path: str = ""\n', "x = 1")  # fmt: skip
    (project / "parameters" / "04_links").mkdir(parents=True)
    (project / "parameters" / "04_links" / "quick.yaml").write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "annex").mkdir()
    (tmp_path / "annex" / "SHA256E-s12--0a1b").write_text("sample\tG1\nS1\t1\n")
    (tmp_path / "expr.tsv").symlink_to("annex/SHA256E-s12--0a1b")
    _, params, _ = runner.resolve_parameters(
        "04", overrides={"expression_path": "expr.tsv"}, project_dir=project
    )
    assert params["expression_path"] == str(tmp_path / "expr.tsv")
    (tmp_path / "l1.tsv").symlink_to("l2.tsv")
    (tmp_path / "l2.tsv").symlink_to("l1.tsv")
    with pytest.raises(InputError, match=r"l1\.tsv: a broken symbolic link or a link loop \("
                       r"parameter expression_path\)"):  # fmt: skip
        runner.run_notebook("04", overrides={"expression_path": "l1.tsv"},
                            output_dir=tmp_path / "out", project_dir=project)  # fmt: skip


def test_unwritable_output_folder(project, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match=r"a_file/run: output folder: .*a_file is a file, not a "
                       r"folder"):  # fmt: skip
        runner.resolve_parameters("01", output_dir=blocker / "run", project_dir=project)
    with pytest.raises(InputError, match=r"a_file: output folder: is a file, not a folder"):
        runner.run_notebook("01", output_dir=blocker, project_dir=project)  # was "not writable"
    with pytest.raises(ParameterError, match=r"unknown parameter '01:seed' for 01_ok \(NB:NAME "
                       r"is run-all's, for one notebook\)"):  # fmt: skip
        runner.resolve_parameters("01", overrides={"01:seed": 1}, project_dir=project)


def test_missing_kernel_says_make_install(project, tmp_path):
    with pytest.raises(GexnbError, match="not installed: run `make install`"):
        runner.run_notebook(
            "01", project_dir=project, kernel="no-such-kernel-xyz", output_dir=tmp_path / "o"
        )


# ------------------------------------------------------------------ execution


@pytest.mark.notebooks
def test_run_notebook_end_to_end(project, monkeypatch):
    monkeypatch.setenv("GEXNB_DATA", "/some/data")
    result = runner.run_notebook("01_ok", profile="quick", project_dir=project, progress_bar=False)
    run_dir = project.resolve() / "runs" / "quick" / "01_ok"
    assert result.ok and result.output_dir == run_dir
    assert result.executed_path == run_dir / "01_ok.ipynb"
    executed = nbformat.read(result.executed_path, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert json.loads((run_dir / "metrics.json").read_text()) == {
        "base/test/mae": 1.0,
        "m/test/mae": 1.0,
        "m/test/r2": 0.25,
    }
    cwd, label = (run_dir / "cwd.txt").read_text().splitlines()
    assert Path(cwd).resolve() == run_dir and label == "/some/data"


@pytest.mark.notebooks
def test_a_failed_rerun_keeps_the_last_good_results_aside(project):
    """A re-run that stopped on bad input deleted the earlier run's metrics, conclusion and
    figures (found by a fault sweep). They are set aside in previous_run/ until a run ends
    ok; nothing of them is among the new run's results."""
    out = project / "runs" / "x"

    def run(**overrides):
        runner.run_notebook("01_ok", project_dir=project, output_dir=out, overrides=overrides,
                            progress_bar=False)  # fmt: skip

    run()
    good = (out / "metrics.json").read_text()
    aside = out / rundir.PREVIOUS_DIR
    for attempt in range(2):  # a second failure keeps the last good run's results
        with pytest.raises(runner.NotebookExecutionError,
                           match=r"the earlier run's results are in .*previous_run/$"):  # fmt: skip
            run(scale=float("nan"))
        assert not (out / "metrics.json").exists()
        assert json.loads((out / "run.json").read_text())["status"] == "failed"
        assert (aside / "metrics.json").read_text() == good, attempt
        assert json.loads((aside / "run.json").read_text())["status"] == "ok"
    run()
    assert not aside.exists() and (out / "metrics.json").read_text() == good


@pytest.mark.notebooks
def test_run_all_reports_failure_and_goes_on(tmp_path):
    project = make_project(tmp_path / "proj", failing=True)
    log: list[str] = []

    class Log:
        def write(self, text: str) -> None:
            log.append(text)

        def flush(self) -> None:
            pass

    results = runner.run_all(
        profile="quick",
        overrides={"scale": 4.0},
        project_dir=project,
        progress_bar=False,
        log=Log(),
    )
    assert [r.notebook for r in results] == ["01_ok", "02_fail"]
    ok, failed = results
    assert ok.ok and ok.parameters["scale"] == 4.0
    assert not failed.ok
    error = failed.error
    assert isinstance(error, runner.NotebookExecutionError)
    # markdown, parameters, injected parameters, "x = 1", then the failing cell (index 4)
    assert error.cell_index == 4 and error.ename == "ValueError"
    assert error.evalue == "boom at purpose"
    assert error.executed_path.is_file()
    assert "02_fail failed at cell 5" in str(error) and "ValueError: boom at purpose" in str(error)
    assert any("02_fail: FAILED" in line for line in log)
    summary = pd.read_csv(project / "runs" / "quick" / "summary.csv")
    assert list(summary.columns) == [
        "notebook",
        "model",
        "split",
        "metric",
        "value",
        "status",
        "run_started",
    ]
    rows = summary[["notebook", "model", "split", "metric", "value", "status"]]
    assert rows.fillna("").values.tolist() == [
        ["01_ok", "base", "test", "mae", 1.0, "ok"],
        ["01_ok", "m", "test", "mae", 2.0, "ok"],
        ["01_ok", "m", "test", "r2", 0.25, "ok"],
        ["02_fail", "", "", "", "", "failed"],  # the failure is in the summary, not hidden
    ]
    text = runner.format_summary(summary)
    assert "== 01_ok / test ==" in text and "r2" in text and "02_fail: FAILED" in text


def test_run_all_refuses_override_no_notebook_declares(tmp_path):
    project = make_project(tmp_path / "proj", failing=True)
    with pytest.raises(ParameterError, match=r"'nope': no notebook declares it \(-p NB:NAME=VALUE "
                       r"sets one notebook's\); valid names: label"):  # fmt: skip
        runner.run_all(overrides={"nope": 1}, project_dir=project)


def test_run_all_overrides_can_name_one_notebook():
    """models is notebook 02's DREAM models, 03's comparison and 04's deep models: run-all's
    -p models=[] emptied all three (found by a review); -p 02:models=[] sets 02's only."""
    import io

    from gexnb.runner.summary import _scoped_overrides

    declared = {"02_bigru_training": {"models": 1, "seed": 1},
                "03_landmark_models": {"models": 1, "seed": 1},
                "04_attention_lstm": {"k_genes": 1, "seed": 1}}  # fmt: skip
    log = io.StringIO()
    scoped = _scoped_overrides({"02:models": [], "models": ["dgex"], "seed": 3}, declared, log)
    assert scoped == {"02_bigru_training": {"models": [], "seed": 3},
                      "03_landmark_models": {"models": ["dgex"], "seed": 3},
                      "04_attention_lstm": {"seed": 3}}  # fmt: skip
    assert log.getvalue() == (
        "[gexnb] -p models sets it in 02_bigru_training, 03_landmark_models "
        "(-p NB:models=... for one)\n"
    )
    for key, message in {
        "04:models": "unknown parameter 'models' for 04_attention_lstm",
        "09:seed": "'09' names no notebook of this run",
        "02:output_dir": "output_dir cannot be given with -p",
        "compare_models": "'compare_models' was renamed 'models'",
    }.items():
        with pytest.raises(ParameterError, match=message):
            _scoped_overrides({key: 1}, declared, io.StringIO())


def test_run_all_checks_every_notebook_before_any_runs(tmp_path):
    # fault sweep 2026-11-30: -p scale=abc failed each notebook in turn and summary.csv showed
    # the previous run's status; an unknown profile wrote a summary of "unknown" rows
    project = make_project(tmp_path / "proj", failing=True)
    with pytest.raises(ParameterError, match="01_ok: .*scale"):
        runner.run_all(overrides={"scale": "abc"}, project_dir=project)
    with pytest.raises(ParameterError, match="no notebook has a profile 'nope'"):
        runner.run_all(profile="nope", project_dir=project)
    assert not (project / "runs").exists()
    # a later notebook's value refused: 01_ok's folder was created by the check (found by a
    # fault sweep); a run refused on a missing input left its folder too
    with pytest.raises(ParameterError, match="02_fail: .*seed"):
        runner.run_all(overrides={"02:seed": "abc"}, project_dir=project)
    _notebook(project / "notebooks" / "03_reads.ipynb",
              'output_dir: str = "."\nexpression_path: str = ""\n', "x = 1")  # fmt: skip
    (project / "parameters" / "03_reads").mkdir()
    (project / "parameters" / "03_reads" / "quick.yaml").write_text("{}\n")
    with pytest.raises(InputError, match="no.csv"):
        runner.run_notebook("03", project_dir=project, overrides={"expression_path": "no.csv"})
    assert not (project / "runs").exists()


def test_summary_of_a_notebook_that_did_not_start_ignores_an_earlier_run(tmp_path):
    runs = tmp_path / "runs"
    (runs / "02_x").mkdir(parents=True)
    write_json_atomic(runs / "02_x" / "run.json", {"status": "ok", "started": "earlier"})
    write_metrics(runs / "02_x", {"m/test/mae": 0.5})
    frame = runner.collect_summary(runs, notebooks=["02_x"], not_run=["02_x"])
    assert frame.fillna("").values.tolist() == [["02_x", "", "", "", "", "failed", ""]]


def test_collect_summary_and_bad_keys(tmp_path):
    (tmp_path / "01_a").mkdir()
    (tmp_path / "01_a" / "metrics.json").write_text(
        json.dumps({"lin/val/mae": 0.5, "data/all/n_samples": 10, "x/test/r2": None})
    )
    (tmp_path / "02_b").mkdir()
    (tmp_path / "02_b" / "metrics.json").write_text(json.dumps({"dgex/test/mae": 0.25}))
    frame = runner.collect_summary(tmp_path)
    assert frame[["notebook", "model", "split", "metric"]].values.tolist() == [
        ["01_a", "data", "all", "n_samples"],
        ["01_a", "lin", "val", "mae"],
        ["01_a", "x", "test", "r2"],
        ["02_b", "dgex", "test", "mae"],
    ]
    assert frame["value"].tolist()[:2] == [10.0, 0.5] and pd.isna(frame["value"][2])
    path = runner.write_summary(tmp_path)
    assert pd.read_csv(path).shape == (4, 7)
    assert not list(tmp_path.glob(".summary.csv*"))  # no temporary left behind
    (tmp_path / "02_b" / "metrics.json").write_text(json.dumps({"bad_key": 1}))
    with pytest.raises(InputError, match="'bad_key' does not read model/split/metric"):
        runner.collect_summary(tmp_path)


def test_output_dir_given_as_a_parameter(tmp_path, monkeypatch):
    # review: -p output_dir=123 was an internal error; run-all has no single output folder
    project = make_project(tmp_path / "proj")
    monkeypatch.chdir(tmp_path)
    _, values, out = runner.resolve_parameters(
        "01", overrides={"output_dir": 123}, project_dir=project
    )
    assert out == tmp_path / "123" and values["output_dir"] == str(out)
    with pytest.raises(ParameterError, match="run-all writes each notebook's results"):
        runner.run_all(overrides={"output_dir": "x"}, project_dir=project)


def test_notebook_warnings_takes_gexnbs_own_and_leaves_other_programs_lines(tmp_path):
    """A review of the console warnings (2026-12-01): TensorFlow's start-up lines after a
    gexnb warning were glued onto it, and any file under a folder named gexnb (a venv in
    ~/gexnb) or ipykernel_launcher.py counted as gexnb's; a Python warning of several lines
    kept its first only (its end is the source line Python prints: the cell's or gexnb's own
    line, known; without it the next program's lines are not taken)."""
    import gexnb

    package = Path(gexnb.__file__).resolve().parent
    stderr = "\n".join(
        [
            "INFO gexnb.data: landmarks 5/5 found",
            "WARNING gexnb.data: TG7 left out:",
            "  all its values missing",
            "2026-12-01 I tensorflow/core/util/port.cc:153] oneDNN custom operations are on.",
            "WARNING:absl:Compiled the loaded model, but the compiled metrics are not built.",
            f"{package / 'pipelines' / 'landmark.py'}:820: UserWarning: few samples in a fold",
            "  warnings.warn(",
            "/tmp/ipykernel_4242/1234567.py:3: UserWarning: from the cell",
            "/home/u/gexnb/.venv/lib/python3.11/site-packages/sklearn/x.py:5: LinAlgWarning: ill",
            "/home/u/.venv/lib/python3.11/site-packages/ipykernel_launcher.py:18: "
            "DeprecationWarning: launcher",
            "/tmp/ipykernel_4242/1234567.py:3: UserWarning: a message of two lines:",
            "its second line",
            "  and an indented one",
            "  warnings.warn(message)",
            f"{package / 'plot' / 'common.py'}:5: UserWarning: no source line after it",
            "Traceback (most recent call last):",
            "ERROR gexnb.train: the loss is NaN at epoch 3",
            "WARNING gexnb.data: TG7 left out:",
            "  all its values missing",
        ]
    )
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import warnings\nmessage = '...'\nwarnings.warn(message)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=stderr),
        nbformat.v4.new_output(
            "stream", name="stdout", text="WARNING gexnb.x: printed, not logged"
        ),
    ]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "run.ipynb")
    found = runner.notebook_warnings(tmp_path / "run.ipynb")
    assert found == [
        "WARNING gexnb.data: TG7 left out:\nall its values missing",
        "UserWarning: few samples in a fold",
        "UserWarning: from the cell",
        "UserWarning: a message of two lines:\nits second line\n  and an indented one",
        "UserWarning: no source line after it",  # what follows is not known to be its own
        "ERROR gexnb.train: the loss is NaN at epoch 3",
    ]
    result = runner.RunResult("03_x", tmp_path, tmp_path / "run.ipynb", warnings=found)
    assert runner.warnings_heading(result) == (
        f"03_x: 1 error and 5 warnings (also in {tmp_path / 'run.ipynb'}):"
    )
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert runner.notebook_warnings(tmp_path / "bad.ipynb") == []


def test_gexnb_messages_indent_their_further_lines():
    import logging

    formatter = rundir._IndentingFormatter("%(levelname)s %(name)s: %(message)s")
    record = logging.LogRecord("gexnb.test", logging.WARNING, "x.py", 1, "first\nsecond", (), None)
    assert formatter.format(record) == "WARNING gexnb.test: first\n  second"
