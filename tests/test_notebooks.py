"""Integration: every notebook in notebooks/ runs with the quick profile through the runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gexnb import runner
from gexnb.io import METRIC_KEY_PATTERN

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [p.stem for p in runner.list_notebooks(PROJECT)]


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_profiles_validate(stem, tmp_path):
    for profile in runner.list_profiles(PROJECT, stem):
        _, params, _ = runner.resolve_parameters(
            stem, profile=profile, output_dir=tmp_path / profile, project_dir=PROJECT
        )
        assert "output_dir" in params
    declared = runner.notebook_parameters(PROJECT / "notebooks" / f"{stem}.ipynb")
    assert {"output_dir", "seed"} <= set(declared)


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_papermill_parses_every_parameter_line(stem):
    """papermill's own parser reads every declared parameter (else it warns 'unknown parameter'
    on every run and JupyterLab's parameter inspection misses it)."""
    import papermill

    path = PROJECT / "notebooks" / f"{stem}.ipynb"
    inspected = papermill.inspect_notebook(str(path))
    assert set(inspected) == set(runner.notebook_parameters(path))


#: Keys each notebook's quick run must write: every model of its comparison (a notebook that
#: silently dropped a model fails here), and the motifs of notebook 02.
EXPECTED_KEYS = {
    "01_data_prep": ["data/train/n_sequences"],
    "02_bigru_training": [
        f"{m}/val/r2" for m in ("metformin_bigru", "legnet", "dream_cnn", "kmer_ridge", "mean")
    ]
    + ["metformin_bigru/val/planted_motifs_recovered"]
    + [f"{m}/efficiency_25pct/pearson_mean" for m in ("metformin_bigru", "legnet", "kmer_ridge")],
    "03_landmark_models": [
        f"{m}/test/mae" for m in ("mean", "linear", "knn_ge", "ridge", "dgex", "taaf_dgex", "egex")
    ],
    "04_attention_lstm": [
        f"{m}/cv_mean/r2"
        for m in ("dnn", "lstm", "gru", "attention_lstm", "attention_gru", "mean", "ridge")
    ],
}


@pytest.mark.notebooks
@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_quick_profile(stem, tmp_path):
    result = runner.run_notebook(
        stem, profile="quick", output_dir=tmp_path / stem, project_dir=PROJECT, progress_bar=False
    )
    assert result.ok and result.executed_path.is_file()
    metrics = json.loads((result.output_dir / "metrics.json").read_text())
    assert metrics and all(METRIC_KEY_PATTERN.match(k) for k in metrics)
    missing = [k for k in EXPECTED_KEYS.get(stem, []) if k not in metrics]
    assert not missing, f"{stem} did not write {missing}"
    assert list(result.output_dir.rglob("*.png"))
    if stem == "02_bigru_training":  # the quick model learns the planted motifs
        assert metrics["metformin_bigru/val/planted_motifs_recovered"] >= 1
        assert (result.output_dir / "motifs.tsv").is_file()
        curve = (result.output_dir / "data_efficiency.tsv").read_text().splitlines()
        assert len(curve) == 1 + 4 * 4  # header; 4 models x (2 fractions x 2 seeds)


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_shipped_defaults_are_the_quick_profile(stem):
    """Run All in JupyterLab runs the quick profile: the parameters cell equals quick.yaml."""
    declared = runner.notebook_parameters(PROJECT / "notebooks" / f"{stem}.ipynb")
    quick = runner.load_profile(PROJECT, stem, "quick")
    differ = {k: (declared[k].default, v) for k, v in quick.items() if declared[k].default != v}
    assert not differ, f"notebook default != parameters/{stem}/quick.yaml: {differ}"
    assert declared["output_dir"].default == ""  # runs/interactive/<notebook> (begin_run)


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_committed_notebooks_are_stripped(stem):
    """No outputs, execution counts or kernel state are committed (they would go stale)."""
    nb = json.loads((PROJECT / "notebooks" / f"{stem}.ipynb").read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} has outputs"
            assert cell.get("execution_count") is None, f"cell {i} has an execution count"
    assert "widgets" not in nb.get("metadata", {})
