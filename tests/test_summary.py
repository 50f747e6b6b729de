"""Data summaries against hand-made codes and matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gexnb.data import summary
from gexnb.errors import InputError

# codes T=0 C=1 G=2 A=3 N=4 PAD=5; rows: "TCGA", "GGN" (left-padded), "AA"
CODES = np.array([[0, 1, 2, 3], [5, 2, 2, 4], [5, 5, 3, 3]], dtype=np.uint8)


def test_lengths_and_distribution():
    assert summary.sequence_lengths(CODES).tolist() == [4, 3, 2]
    dist = summary.length_distribution(CODES)
    assert dist.to_dict() == {2: 1, 3: 1, 4: 1}


def test_base_composition_overall_and_by_position():
    comp = summary.base_composition(CODES)  # 9 bases: T1 C1 G3 A3 N1
    assert comp.to_dict() == pytest.approx(
        {"T": 1 / 9, "C": 1 / 9, "G": 3 / 9, "A": 3 / 9, "N": 1 / 9}
    )
    pos = summary.base_composition_by_position(CODES)
    assert pos.loc[0].tolist() == [1.0, 0, 0, 0, 0]
    assert pos.loc[2].tolist() == pytest.approx([0, 0, 2 / 3, 1 / 3, 0])
    masked = summary.base_composition_by_position(CODES, min_coverage=0.5)
    assert masked.loc[0].isna().all() and not masked.loc[1].isna().any()


def test_sequence_summary_known_values():
    out = summary.sequence_summary(CODES, [1.0, 2.0, 6.0])
    assert out["n_sequences"] == 3 and out["min_length"] == 2 and out["max_length"] == 4
    assert out["mean_length"] == 3.0 and out["n_with_n"] == 1 and out["n_bases_n"] == 1
    assert out["gc_fraction"] == pytest.approx(4 / 8)  # the N is no base (it was 4 / 9)
    assert out["promoter_expression_mean"] == 3.0 and out["promoter_expression_median"] == 2.0
    assert out["promoter_expression_sd"] == pytest.approx(np.std([1, 2, 6], ddof=1))
    with pytest.raises(InputError, match="2 expression values for 3 sequences"):
        summary.sequence_summary(CODES, [1.0, 2.0])
    with pytest.raises(InputError, match="0..5"):
        summary.sequence_summary(np.array([[7]]))


def test_expression_summary_and_metrics():
    frame = pd.DataFrame(
        {"LM1": [1.0, 3.0, 5.0], "LM2": [2.0, 2.0, 2.0], "TG1": [0.0, 1.0, 2.0]},
    )
    var = summary.gene_variance(frame)
    assert var.index.tolist() == ["LM1", "TG1", "LM2"] and var["LM1"] == 4.0
    out = summary.expression_summary(
        frame, landmarks=["LM1", "LM2"], targets=["TG1"], requested_landmarks=4, k_genes=1
    )
    assert out["n_samples"] == 3 and out["n_genes"] == 3
    assert out["landmark_coverage"] == 0.5 and out["target_coverage"] == 1.0
    assert out["n_zero_variance_genes"] == 1 and out["top_variable_genes"] == ["LM1"]
    tiny = summary.expression_summary(frame * 1e-7, landmarks=["LM1", "LM2"], targets=["TG1"])
    assert tiny["n_zero_variance_genes"] == 1  # a small scale is not constant (it was 3)
    assert out["median_gene_variance"] == 1.0
    metrics = summary.summary_metrics(out, split="all")
    assert metrics["data/all/landmark_coverage"] == 0.5
    assert "data/all/top_variable_genes" not in metrics


@pytest.mark.parametrize(
    ("nan", "genes", "said"),
    [
        ("drop_genes", 5, "2 missing values (2 genes left out)"),
        ("drop_samples", 5, "2 missing values (2 genes left out)"),  # unlisted genes
        ("mean", 7, "2 missing values (2 values filled with gene means)"),
    ],
)
def test_notebook_01_counts_the_files_missing_values_and_what_became_of_them(
    tmp_path, nan, genes, said
):
    """Notebook 01 printed "0 missing values" whatever the file held: every NaN policy had
    removed them before the summary (a reviewer's finding). The count is the file's as
    read, and the conclusion says what the policy did."""
    from gexnb import report
    from gexnb.pipelines import data_prep

    frame = pd.DataFrame(np.arange(70.0).reshape(10, 7) % 9, columns=list("ABCDEFG"),
                         index=[f"S{i}" for i in range(10)])  # fmt: skip
    frame.loc["S1", "F"] = np.nan  # two genes no list names
    frame.loc["S9", "G"] = np.nan
    frame.to_csv(tmp_path / "m.tsv", sep="\t", index_label="sample")
    (tmp_path / "lm.txt").write_text("A\nB\n")
    (tmp_path / "tg.txt").write_text("C\nD\nE\n")
    data = data_prep.load_expression(tmp_path / "m.tsv", landmark_list=tmp_path / "lm.txt",
                                     target_list=tmp_path / "tg.txt", transform="none",
                                     nan=nan)  # fmt: skip
    metrics = data_prep.data_metrics(None, data)
    assert metrics["data/all/n_nan"] == 2 and metrics["data/all/n_genes"] == genes
    assert said in report.data_conclusion(metrics)


def test_summaries_name_what_they_were_given_wrongly():
    """A re-run of the API fault sweep: bare numpy/pandas errors, and min_coverage=2 made
    every cell NaN."""
    from gexnb.errors import ParameterError

    with pytest.raises(InputError, match="expression values must be numbers"):
        summary.expression_distribution(["a"])
    with pytest.raises(InputError, match="must be a pandas DataFrame"):
        summary.gene_variance(np.ones((3, 2)))
    with pytest.raises(InputError, match="'b'"):
        summary.gene_variance(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}))
    with pytest.raises(ParameterError, match=r"min_coverage is a fraction in \[0, 1\], got 2"):
        summary.base_composition_by_position(np.zeros((2, 3), np.uint8), min_coverage=2)


def test_notebook_01_summarises_a_matrix_without_gene_lists(tmp_path):
    """Notebook 01 refused a matrix without landmark and target lists, so a notebook 04
    user (who gives none) could not check a file with it (new-user trial, 2026-11-30)."""
    from gexnb import report
    from gexnb.errors import ParameterError
    from gexnb.pipelines import data_prep

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(  # LMNA, TGFB1: human genes, not the synthetic data's LM*/TG* names
        rng.gamma(2.0, 2.0, (30, 6)), columns=["ACTB", "LMNA", "LMO2", "TGFB1", "CD3E", "MS4A1"]
    )
    path = tmp_path / "m.tsv"
    frame.to_csv(path, sep="\t")
    data = data_prep.load_expression(path)
    assert (
        data.landmarks == []
        and data.targets == []
        and list(data.frame.columns) == list(frame.columns)
    )
    metrics = data_prep.data_metrics(expression=data)
    assert "data/all/landmark_coverage" not in metrics and metrics["data/all/n_genes"] == 6
    text = report.data_conclusion(metrics)
    assert "30 expression samples x 6 genes: no landmark or target lists;" in text
    assert "Landmark genes are missing" not in text
    (tmp_path / "lm.txt").write_text("ACTB\nLMNA\n")
    with pytest.raises(ParameterError, match="give both landmark_list and target_list"):
        data_prep.load_expression(path, landmark_list=tmp_path / "lm.txt")
    data_prep.write_processed(tmp_path / "run", expression=data)  # no lists: no list files
    assert not (tmp_path / "run" / "processed" / "landmarks.txt").exists()
    back = data_prep.load_processed(tmp_path / "run")
    assert back.landmarks == [] and back.targets == [] and back.frame.shape == (30, 6)


def test_notebook_01_counts_the_files_genes_not_its_probe_groups(tmp_path):
    """A list gene named by several probes is a column of the written matrix, but not a gene
    of the file: notebook 01 said "240 samples x 26,038 genes" for a 22,283-probe file
    (3,755 groups counted too; trial, 2026-11-30). The transform ``auto`` chose was only in
    the notebook's output, and the promoters' ``expression_<stat>`` read as the matrix's."""
    import json

    from gexnb import report
    from gexnb.pipelines import data_prep

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        rng.gamma(2.0, 100.0, (20, 5)), columns=["a_at", "b_at", "c_at", "d_at", "e_at"]
    )
    path = tmp_path / "m.tsv"
    frame.to_csv(path, sep="\t")
    (tmp_path / "lm.txt").write_text("A\tx\ta_at\n")
    (tmp_path / "tg.txt").write_text("B\tx\tb_at,c_at\nD\tx\td_at\n")
    lists = {"landmark_list": tmp_path / "lm.txt", "target_list": tmp_path / "tg.txt"}
    data = data_prep.load_expression(path, **lists)  # auto: max > 100, log2
    assert data.targets == ["b_at,c_at", "d_at"] and data.full.shape == (20, 5)
    assert np.allclose(
        data.frame["b_at,c_at"], np.log2(frame[["b_at", "c_at"]]).mean(axis=1), atol=1e-5
    )
    promoters = data_prep.load_promoters("", n_synthetic=50, seed=0)
    metrics = data_prep.data_metrics(promoters, data)
    assert metrics["data/all/n_genes"] == 5 and metrics["data/all/target_coverage"] == 1.0
    assert metrics["data/all/log2_transformed"] == 1
    assert "data/all/expression_mean" not in metrics and "data/train/expression_mean" not in metrics
    assert metrics["data/all/promoter_expression_mean"] == pytest.approx(
        float(np.mean(promoters.expression))
    )
    assert "20 expression samples x 5 genes" in report.data_conclusion(metrics)
    assert "log2 taken of its values." in report.data_conclusion(metrics)
    written = data_prep.write_processed(tmp_path / "run", promoters, data)
    stored = json.loads(written["data_report"].read_text())
    assert stored["transform"] == "log2(max(x, 1))" and stored["source"] == str(path)
    back = data_prep.load_processed(tmp_path / "run")
    assert back.targets == ["b_at,c_at", "d_at"] and list(back.frame.columns)[1] == "b_at,c_at"
    np.log2(frame).to_csv(tmp_path / "log2.tsv", sep="\t")  # already log2: auto leaves it
    kept = data_prep.load_expression(tmp_path / "log2.tsv", **lists)
    assert data_prep.data_metrics(expression=kept)["data/all/log2_transformed"] == 0


def test_notebook_01_summarises_a_matrix_of_versioned_ensembl_ids(tmp_path):
    """Lists of unversioned Ensembl ids select ``ENSG....12`` columns under the lists' ids;
    notebook 01's summary then refused them as "not in the expression matrix" (review,
    2026-12-01)."""
    from gexnb.pipelines import data_prep

    rng = np.random.default_rng(2)
    columns = [f"ENSG0000000000{i}.{i + 1}" for i in range(6)]
    pd.DataFrame(rng.normal(5.0, 1.0, (20, 6)), columns=columns).to_csv(
        tmp_path / "m.tsv", sep="\t"
    )
    (tmp_path / "lm.txt").write_text("ENSG00000000000\nENSG00000000001\n")
    (tmp_path / "tg.txt").write_text("ENSG00000000002\nENSG00000000009\n")
    data = data_prep.load_expression(
        tmp_path / "m.tsv",
        landmark_list=tmp_path / "lm.txt",
        target_list=tmp_path / "tg.txt",
        max_missing_targets=0.5,
    )
    metrics = data_prep.data_metrics(expression=data)
    assert metrics["data/all/n_landmarks"] == 2 and metrics["data/all/target_coverage"] == 0.5
    assert metrics["data/all/n_genes"] == 6
    with pytest.raises(InputError, match="not in the expression matrix: ENSG00000000009"):
        summary.expression_summary(data.full, targets=["ENSG00000000009"])
    # the variance plot marks the file's columns behind the landmarks
    assert data.landmark_columns == ["ENSG00000000000.1", "ENSG00000000001.2"]


def test_the_columns_behind_a_selected_gene():
    """One statement of how the selection names a column (a probe group's field, an Ensembl
    id without its version): notebook 01's summary and variance plot both use it; the plot
    marked no probe-group landmark before (review, 2026-12-01)."""
    from gexnb.data.expression import matrix_columns

    columns = ["1007_s_at", "38398_at", "210252_s_at", "ENSG00000141510.16", "TP53"]
    names = ["TP53", "210252_s_at,38398_at,999_at", "ENSG00000141510", "ENSG00000999999", "x,y"]
    assert matrix_columns(names, columns) == {
        "TP53": ["TP53"],
        "210252_s_at,38398_at,999_at": ["38398_at", "210252_s_at"],  # the matrix's order
        "ENSG00000141510": ["ENSG00000141510.16"],
        "ENSG00000999999": [],
        "x,y": [],
    }
