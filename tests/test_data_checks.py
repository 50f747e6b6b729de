"""The ``transform`` and ``data_checks`` parameters: the same names and keys in notebooks 01,
03 and 04, each notebook taking the keys that apply to it (found by a new-user trial)."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from gexnb.errors import InputError, ParameterError
from gexnb.pipelines import attention_lstm, data_prep
from gexnb.pipelines import landmark as landmark_pipeline
from gexnb.pipelines.params import DATA_CHECK_DEFAULTS, data_check_options


@pytest.fixture
def linear_genes_x_samples(tmp_path):
    """Linear-scale (MAS5-like) values, genes as rows, one NaN in a target gene."""
    rng = np.random.default_rng(0)
    genes = [f"LM{i}" for i in range(4)] + [f"TG{i}" for i in range(6)]
    values = 2 ** rng.uniform(5, 12, size=(len(genes), 12))
    frame = pd.DataFrame(values, index=genes, columns=[f"S{j}" for j in range(12)])
    frame.iloc[5, 3] = np.nan
    path = tmp_path / "linear_genes_x_samples.tsv"
    frame.to_csv(path, sep="\t", index_label="gene")
    (tmp_path / "lm.txt").write_text("\n".join(genes[:4]) + "\n")
    (tmp_path / "tg.txt").write_text("\n".join(genes[4:]) + "\n")
    return tmp_path, frame


def test_every_notebook_takes_the_keys_that_apply_with_one_set_of_defaults():
    assert landmark_pipeline.DATA_CHECK_DEFAULTS is DATA_CHECK_DEFAULTS  # notebook 03: all
    assert set(data_prep.DATA_CHECKS) < set(DATA_CHECK_DEFAULTS)
    assert set(attention_lstm.DATA_CHECKS) < set(data_prep.DATA_CHECKS)
    assert data_check_options({"nan": "mean"}, attention_lstm.DATA_CHECKS) == {
        "orientation": "auto", "nan": "mean", "duplicates": "mean",
    }  # fmt: skip
    with pytest.raises(ParameterError, match=r"unknown data_checks option\(s\) zero_variance; "
                       "valid: orientation, nan, duplicates"):  # fmt: skip
        data_check_options({"zero_variance": "drop"}, attention_lstm.DATA_CHECKS)


def test_python_callers_get_the_notebooks_defaults():
    """Every loader, reader and normaliser that takes a data_checks setting (or transform) as
    a keyword defaults to the one value the notebooks use (DataChecks, DEFAULT_TRANSFORM)."""
    from gexnb.data import expression, landmark

    defaults = dict(DATA_CHECK_DEFAULTS, transform=expression.DEFAULT_TRANSFORM)
    callables = [
        expression.read_expression, expression.apply_policies, expression.rename_genes,
        expression.select_landmarks_targets, expression.GeneScaler, expression.transform_expression,
        landmark.load_landmark_data, landmark.prepare_split, data_prep.load_expression,
        attention_lstm.load_expression, landmark_pipeline.run_landmark_comparison,
    ]  # fmt: skip
    checked = 0
    for function in callables:
        for name, parameter in inspect.signature(function).parameters.items():
            if name in defaults:
                assert parameter.default == defaults[name], (function.__qualname__, name)
                checked += 1
    assert checked >= 25


def test_notebook_01_reads_a_transposed_linear_file_with_nan(linear_genes_x_samples):
    folder, frame = linear_genes_x_samples
    lists = {"landmark_list": str(folder / "lm.txt"), "target_list": str(folder / "tg.txt")}
    path = folder / "linear_genes_x_samples.tsv"
    # its landmark genes are row ids: read as genes x samples (it was refused, naming
    # orientation: genes_x_samples, before the landmark list told the orientation)
    told = data_prep.load_expression(path, **lists, nan="mean")
    given = data_prep.load_expression(path, **lists, nan="mean", orientation="genes_x_samples")
    pd.testing.assert_frame_equal(told.frame, given.frame)
    with pytest.raises(InputError, match="NaN"):
        data_prep.load_expression(path, **lists, orientation="genes_x_samples")
    checks = data_check_options(
        {"orientation": "genes_x_samples", "nan": "drop_genes"}, data_prep.DATA_CHECKS
    )
    data = data_prep.load_expression(path, **lists, **checks)  # transform "auto": log2
    assert data.report["transform"] == "log2(max(x, 1))"
    assert len(data.landmarks) == 4 and "TG1" not in data.targets and len(data.targets) == 5
    expected = np.log2(frame.loc["LM0"].to_numpy())
    np.testing.assert_allclose(data.frame["LM0"].to_numpy(), expected, rtol=1e-6)
    kept = data_prep.load_expression(path, **lists, **checks, transform="none")
    assert kept.report["transform"] == "none" and kept.frame["LM0"].max() > 100


def test_notebook_04_takes_the_log_of_linear_values(linear_genes_x_samples, caplog):
    folder, frame = linear_genes_x_samples
    path = str(folder / "linear_genes_x_samples.tsv")
    read = attention_lstm.load_expression(path, orientation="genes_x_samples", nan="mean")
    assert read.to_numpy().max() < 13 and "look linear-scale" in caplog.text
    kept = attention_lstm.load_expression(
        path, orientation="genes_x_samples", nan="mean", transform="none"
    )
    assert kept.to_numpy().max() > 100


def test_notebook_04_writes_what_it_read_to_data_report(linear_genes_x_samples, tmp_path):
    import json

    folder, _ = linear_genes_x_samples
    path = str(folder / "linear_genes_x_samples.tsv")
    frame = attention_lstm.load_expression(path, orientation="genes_x_samples", nan="drop_genes")
    result = attention_lstm.cross_validate(
        frame, ["TG2"], k_genes=3, folds=2, models=[], baselines=["linear"], epochs=1, seed=0,
        output_dir=tmp_path / "run",
    )  # fmt: skip
    attention_lstm.write_outputs(result, frame, tmp_path / "run")
    report = json.loads((tmp_path / "run" / "data_report.json").read_text())
    assert report["source"] == path and report["transform"] == "log2(max(x, 1))"
    assert report["genes_dropped_for_nan"] == 1 and report["n_genes"] == 9
    assert report["n_samples"] == 12 and report["duplicate_ids_merged"] == 0


def test_raw_counts_taken_to_the_log_are_warned_of(caplog):
    """Raw RNA-seq counts got log2(max(x, 1)) with no word about library sizes: the top
    variable genes partly measured sequencing depth (notebook 04 trial)."""
    import pandas as pd

    from gexnb.data.expression import transform_expression

    rng = np.random.default_rng(0)
    counts = pd.DataFrame(rng.negative_binomial(2, 0.01, size=(20, 30)).astype(float))
    with caplog.at_level("WARNING", logger="gexnb.data.expression.normalize"):
        transform_expression(counts, "auto", source="counts.tsv")
    assert "counts.tsv: every value is a whole number: raw counts?" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="gexnb.data.expression.normalize"):
        transform_expression(counts * 1.001, "auto")  # TPM-like: not whole numbers
    assert "raw counts" not in caplog.text


def test_notebook_04_reads_genes_x_samples_by_its_targets(linear_genes_x_samples, caplog):
    """A trial had to set data_checks: {orientation: genes_x_samples} although its target
    was a row id of the file; notebook 03 tells it from its landmark list already."""
    folder, _ = linear_genes_x_samples
    path = str(folder / "linear_genes_x_samples.tsv")
    frame = attention_lstm.load_expression(path, nan="drop_genes", targets=["TG2"])
    assert "TG2" in frame.columns and frame.shape[0] == 12
    with pytest.raises(InputError):  # without the targets: read samples x genes, as before
        attention_lstm.check_targets(
            attention_lstm.load_expression(path, nan="drop_genes"), ["TG2"], k_genes=3, folds=2
        )


def test_notebook_01_reads_an_l1000_gctx_by_its_stored_symbols(tmp_path):
    """A LINCS GCTX (Entrez row ids, pr_gene_symbol beside them) against lists of symbols."""
    import h5py

    rng = np.random.default_rng(1)
    genes = [f"LM{i}" for i in range(6)] + [f"TG{i}" for i in range(4)]
    values = rng.normal(8, 1, size=(12, len(genes)))  # samples x genes
    path = tmp_path / "l1000.gctx"
    with h5py.File(path, "w") as h5:
        h5["/0/DATA/0/matrix"] = values.astype("float32")  # cmapPy: samples x genes
        h5["/0/META/ROW/id"] = np.array([str(5000 + i) for i in range(len(genes))], dtype="S")
        h5["/0/META/ROW/pr_gene_symbol"] = np.array(genes, dtype="S")
        h5["/0/META/COL/id"] = np.array([f"CPC{i:03d}" for i in range(12)], dtype="S")
    (tmp_path / "lm.txt").write_text("\n".join(genes[:6]) + "\n")
    (tmp_path / "tg.txt").write_text("\n".join(genes[6:]) + "\n")
    lists = {"landmark_list": str(tmp_path / "lm.txt"), "target_list": str(tmp_path / "tg.txt")}
    data = data_prep.load_expression(path, **lists, transform="none")
    assert list(data.landmarks) == genes[:6] and list(data.targets) == genes[6:]
