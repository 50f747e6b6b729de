"""Expression matrices: readers, gene lists, selection and normalisation (gexnb.data.expression)."""

from __future__ import annotations

import gzip
import logging

import h5py
import numpy as np
import pandas as pd
import pytest

from gexnb.data.expression import (
    GeneScaler,
    collapse_duplicates,
    log2_transform,
    match_genes,
    quantile_normalize,
    read_expression,
    read_gene_list,
    rename_genes,
    select_landmarks_targets,
    top_variable_genes,
    write_expression,
)
from gexnb.errors import InputError, ParameterError

SAMPLES = ["s1", "s2", "s3"]
GENES = ["g1", "g2", "g3", "g4"]
VALUES = np.array([[5.0, 2.0, 3.0, 4.0], [4.0, 1.0, 4.0, 2.0], [3.0, 4.0, 6.0, 8.0]])


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame(VALUES, index=SAMPLES, columns=GENES)


def _check_small(frame: pd.DataFrame) -> None:
    assert list(frame.index) == SAMPLES
    assert list(frame.columns) == GENES
    np.testing.assert_array_equal(frame.to_numpy(), VALUES)
    assert (frame.dtypes == np.float64).all()


def _table_text(sep: str) -> str:
    lines = [sep.join(["sample_id", *GENES])]
    lines += [
        sep.join([s, *(f"{v:g}" for v in row)]) for s, row in zip(SAMPLES, VALUES, strict=True)
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- readers, one tiny file each


@pytest.mark.parametrize(("name", "sep"), [("m.tsv", "\t"), ("m.csv", ","), ("m.txt", "\t")])
def test_read_text_tables(tmp_path, name, sep):
    path = tmp_path / name
    path.write_text(_table_text(sep))
    _check_small(read_expression(path))


def test_read_gzipped_tsv(tmp_path):
    path = tmp_path / "m.tsv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(_table_text("\t"))
    _check_small(read_expression(path))


def test_read_genes_x_samples_transposes(tmp_path, small):
    path = tmp_path / "m.tsv"
    small.T.to_csv(path, sep="\t")
    _check_small(read_expression(path, orientation="genes_x_samples"))


@pytest.mark.parametrize("with_index", [True, False])
def test_read_parquet(tmp_path, small, with_index):
    path = tmp_path / "m.parquet"
    frame = small if with_index else small.rename_axis("sample_id").reset_index()
    frame.to_parquet(path, index=with_index)
    _check_small(read_expression(path))


def test_read_hdf5_layout_and_write_roundtrip(tmp_path, small):
    path = tmp_path / "m.h5"
    with h5py.File(path, "w") as h5:
        h5["matrix"] = VALUES
        h5["samples"] = np.array(SAMPLES, dtype="S")
        h5["genes"] = np.array(GENES, dtype="S")
    _check_small(read_expression(path))
    for name in ("w.h5", "w.parquet", "w.tsv.gz", "w.csv"):
        _check_small(read_expression(write_expression(small, tmp_path / name)))


def test_read_hdf5_wrong_layout(tmp_path):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as h5:
        h5["data"] = VALUES
    with pytest.raises(InputError, match="missing.*'matrix'"):
        read_expression(path)


def test_read_gct(tmp_path):
    lines = ["#1.2", f"{len(GENES)}\t{len(SAMPLES)}", "\t".join(["Name", "Description", *SAMPLES])]
    for j, gene in enumerate(GENES):
        lines.append("\t".join([gene, f"desc {gene}", *(f"{v:g}" for v in VALUES[:, j])]))
    path = tmp_path / "m.gct"
    path.write_text("\n".join(lines) + "\n")
    _check_small(read_expression(path))


def test_read_gct_bad_count(tmp_path):
    path = tmp_path / "m.gct"
    path.write_text("#1.2\n5\t3\nName\tDescription\ta\tb\tc\ng1\td\t1\t2\t3\n")
    with pytest.raises(InputError, match="says 5 rows"):
        read_expression(path)


def test_read_gctx_uses_cmappy_orientation(tmp_path):
    # cmapPy stores /0/DATA/0/matrix transposed: shape (n columns = samples, n rows = genes).
    path = tmp_path / "m.gctx"
    with h5py.File(path, "w") as h5:
        h5["/0/DATA/0/matrix"] = VALUES.astype(np.float32)  # 3 samples x 4 genes
        h5["/0/META/ROW/id"] = np.array(GENES, dtype="S")
        h5["/0/META/COL/id"] = np.array(SAMPLES, dtype="S")
    _check_small(read_expression(path))


def test_read_h5ad(tmp_path, small):
    anndata = pytest.importorskip("anndata")
    path = tmp_path / "m.h5ad"
    anndata.AnnData(
        X=VALUES, obs=pd.DataFrame(index=SAMPLES), var=pd.DataFrame(index=GENES)
    ).write_h5ad(path)
    _check_small(read_expression(path))


# ---------------------------------------------------------------- bad input


def test_unknown_extension(tmp_path):
    path = tmp_path / "m.xlsx"
    path.write_text("x")
    with pytest.raises(InputError, match="unknown expression file extension"):
        read_expression(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.tsv: file not found"):
        read_expression(tmp_path / "nope.tsv")


def test_empty_and_header_only(tmp_path):
    empty = tmp_path / "e.tsv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_expression(empty)
    header = tmp_path / "h.tsv"
    header.write_text("sample\tg1\tg2\n")
    with pytest.raises(InputError, match="no data rows"):
        read_expression(header)


def test_non_numeric_cell_names_file_line_row_column(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text("sample\tg1\tg2\ns1\t1.0\t2.0\ns2\t3.0\tabc\n")
    with pytest.raises(InputError) as err:
        read_expression(path)
    msg = str(err.value)
    assert "m.tsv" in msg and "line 3" in msg and "'s2'" in msg and "'g2'" in msg and "abc" in msg
    assert err.value.line == 3


def test_ragged_row(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text("sample\tg1\tg2\ns1\t1\t2\ns2\t3\t4\t5\n")
    with pytest.raises(InputError, match="line 3.*ragged"):
        read_expression(path)


def test_nan_policies(tmp_path, caplog):
    path = tmp_path / "m.tsv"
    path.write_text("sample\tg1\tg2\tg3\ns1\t1\tNA\t5\ns2\t3\t4\t\ns3\t5\t6\t7\n")
    with pytest.raises(InputError, match=r"2 NaN value\(s\) in 2 gene\(s\): g2, g3"):
        read_expression(path)
    with caplog.at_level(logging.WARNING):
        dropped = read_expression(path, nan="drop_genes")
    assert list(dropped.columns) == ["g1"]
    assert "dropping genes with NaN" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        imputed = read_expression(path, nan="mean")
    assert "imputing per-gene means" in caplog.text
    assert imputed.loc["s1", "g2"] == pytest.approx(5.0)  # mean of 4 and 6
    assert imputed.loc["s2", "g3"] == pytest.approx(6.0)  # mean of 5 and 7
    with pytest.raises(ParameterError):
        read_expression(path, nan="zero")


def test_duplicate_gene_policies(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text("sample\tg1\tg2\tg1\ns1\t1\t2\t3\ns2\t5\t6\t9\n")
    averaged = read_expression(path)
    assert list(averaged.columns) == ["g1", "g2"]
    assert averaged["g1"].tolist() == [2.0, 7.0]
    assert averaged.attrs["duplicates_merged"] == ["g1"]  # for the notebooks' data reports
    first = read_expression(path, duplicates="first")
    assert first["g1"].tolist() == [1.0, 5.0] and first.attrs["duplicates_merged"] == ["g1"]
    with pytest.raises(InputError, match=r"1 duplicated gene id\(s\): g1 \(in the notebooks "
                       r"set data_checks: \{duplicates: mean\}"):  # fmt: skip
        read_expression(path, duplicates="error")


def test_collapse_and_rename_genes(small):
    frame = small.copy()
    frame.columns = ["a", "b", "a", "c"]
    out = collapse_duplicates(frame)
    assert list(out.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(out["a"], (VALUES[:, 0] + VALUES[:, 2]) / 2)
    mapping = pd.DataFrame({"probe": ["g1", "g2", "g3"], "symbol": ["X", "Y", "X"]})
    renamed = rename_genes(small, mapping)
    assert list(renamed.columns) == ["X", "Y", "g4"]
    np.testing.assert_allclose(renamed["X"], (VALUES[:, 0] + VALUES[:, 2]) / 2)
    assert list(rename_genes(small, mapping, unmapped="drop").columns) == ["X", "Y"]
    with pytest.raises(InputError, match="no new name: g4"):
        rename_genes(small, mapping, unmapped="error")


# ---------------------------------------------------------------- gene lists


def test_read_gene_list_formats(tmp_path):
    three = tmp_path / "map.txt"
    three.write_text("UBE2C\tENSG00000175063\t202954_at\nRBKS\tENSG00000171174\t219222_at\n")
    table = read_gene_list(three)
    assert list(table.columns) == ["symbol", "ensembl", "probe"]
    assert table["probe"].tolist() == ["202954_at", "219222_at"]
    one = tmp_path / "list.txt"
    one.write_text("symbol\nTP53\nESR1\n")
    table = read_gene_list(one)
    assert table["symbol"].tolist() == ["TP53", "ESR1"] and table["probe"].isna().all()
    bad = tmp_path / "bad.txt"
    bad.write_text("a\tb\tc\nd\te\n")
    with pytest.raises(InputError, match="line 2"):
        read_gene_list(bad)


def test_match_genes_auto_picks_best_id_type():
    table = pd.DataFrame(
        {
            "symbol": ["A", "B", "C"],
            "ensembl": ["ENSG1", "ENSG2", "ENSG3"],
            "probe": ["1_at", "2_at", "3_at"],
        }
    )
    match = match_genes(["ENSG3", "ENSG1", "x"], table)
    assert match.id_type == "ensembl"
    assert match.found == ["ENSG1", "ENSG3"] and match.missing == ["ENSG2"]
    assert match.counts == {"probe": 0, "ensembl": 2, "symbol": 0}
    forced = match_genes(["ENSG3", "A"], table, id_type="symbol")
    assert forced.found == ["A"] and forced.missing == ["B", "C"]


def test_select_landmarks_targets_small(small):
    x, y, report = select_landmarks_targets(small, ["g3", "g1"], ["g2", "g9"])
    assert list(x.columns) == ["g3", "g1"] and list(y.columns) == ["g2"]
    assert report["targets_missing"] == 1 and report["missing_targets"] == ["g9"]
    with pytest.raises(InputError, match=r"1 of 2 landmark genes \(50.0%\) are missing.*g9"):
        select_landmarks_targets(small, ["g1", "g9"], ["g2"])
    x, _, report = select_landmarks_targets(small, ["g1", "g9"], ["g2"], max_missing_landmarks=0.5)
    assert list(x.columns) == ["g1"]
    with pytest.raises(InputError, match="both landmarks and targets: g2"):
        select_landmarks_targets(small, ["g1", "g2"], ["g2", "g3"])


# ---------------------------------------------------------------- normalisation


def test_quantile_normalize_hand_computed(small):
    # sorted rows: (2,3,4,5), (1,2,4,4), (3,4,6,8) -> mean profile (2, 3, 14/3, 17/3)
    out = quantile_normalize(small)
    a, b = 14 / 3, 17 / 3
    expected = [
        [b, 2, 3, a],
        [(a + b) / 2, 2, (a + b) / 2, 3],
        [2, 3, a, b],
    ]  # s2: tie at ranks 3,4
    np.testing.assert_allclose(out.to_numpy(), expected)
    assert list(out.columns) == GENES


def test_gene_scaler_train_rows_and_all_mode():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 10.0], "b": [2.0, 4.0, 6.0, 0.0]})
    scaler = GeneScaler().fit(frame, rows=[0, 1, 2])
    sd = np.sqrt(2 / 3)
    z = scaler.transform(frame)
    np.testing.assert_allclose(z["a"], (np.array([1, 2, 3, 10]) - 2) / sd)
    np.testing.assert_allclose(scaler.inverse_transform(z), frame.to_numpy(), atol=1e-12)
    assert "training-sample statistics (n=3)" in scaler.description
    both = GeneScaler(mode="all").fit(frame, rows=[0, 1, 2])
    assert both.n_samples_ == 4 and "all-samples statistics (D-GEX paper" in both.description
    # arrays in fitted gene order, and a subset of genes by name
    np.testing.assert_allclose(scaler.transform(frame.to_numpy()), z.to_numpy())
    np.testing.assert_allclose(scaler.inverse_transform(z[["b"]])["b"], frame["b"], atol=1e-12)


def test_gene_scaler_zero_variance():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "flat": [5.0, 5.0, 5.0]})
    with pytest.raises(InputError, match=r"1 gene\(s\) have zero variance.*flat"):
        GeneScaler().fit(frame)
    scaler = GeneScaler(zero_variance="drop").fit(frame)
    assert scaler.dropped_ == ["flat"]
    assert list(scaler.transform(frame).columns) == ["a"]
    with pytest.raises(ParameterError, match="not fitted"):
        GeneScaler().transform(frame)


def test_top_variable_genes_and_log2(small):
    # sample variances: g1 1, g2 7/3, g3 7/3, g4 28/3 -> g4, then g2 and g3 in column order
    assert top_variable_genes(small, 3) == ["g4", "g2", "g3"]
    assert top_variable_genes(small, 2, exclude=["g4"]) == ["g2", "g3"]
    with pytest.raises(ParameterError, match="k=4 genes requested but 3"):
        top_variable_genes(small, 4, exclude=["g1"])
    logged = log2_transform(pd.DataFrame({"a": [0.0, 0.5, 1.0, 8.0]}))
    assert logged["a"].tolist() == [0.0, 0.0, 0.0, 3.0]
    with pytest.raises(ParameterError):
        log2_transform(small, floor=0)


# ---------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def gpl96(shared_data):
    return read_expression(
        shared_data / "gpl96_microarray_3studies" / "expression_mas5_signal.tsv.gz"
    )


def test_real_gpl96_dgex_maps(gpl96, shared_data):
    assert gpl96.shape == (240, 22283)
    assert gpl96.iloc[0, 0] == pytest.approx(244.8)  # chowdary_001, 1007_s_at
    maps = shared_data / "dgex_gene_maps"
    x, y, report = select_landmarks_targets(gpl96, maps / "map_lm.txt", maps / "map_tg.txt")
    assert x.shape == (240, 943) and y.shape == (240, 9520)
    assert report["landmarks_found"] == 943 and report["targets_found"] == 9520
    assert report["targets_total"] == 9520 and report["landmark_id_type"] == "probe"
    assert not np.isnan(log2_transform(x).to_numpy()).any()


def test_real_genefu_relabel_and_missing_landmarks(shared_data):
    folder = shared_data / "genefu_expos_breast"
    frame = read_expression(folder / "expression_log2.tsv.gz")
    assert frame.shape == (353, 966)
    probes = pd.read_csv(folder / "probes.tsv", sep="\t")
    symbols = rename_genes(frame, probes[["probe", "NCBI.gene.symbol"]])
    assert not symbols.columns.duplicated().any()
    assert "ESR1" in symbols.columns and symbols.shape[0] == 353
    maps = shared_data / "dgex_gene_maps"
    with pytest.raises(InputError, match=r"846 of 943 landmark genes .* missing"):
        select_landmarks_targets(frame, maps / "map_lm.txt", maps / "map_tg.txt")


def test_read_quoted_csv_falls_back_to_pandas(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text('"id","g1","g2"\n"s1",1,2\n"s2",3,4\n')
    frame = read_expression(path)
    assert list(frame.index) == ["s1", "s2"] and list(frame.columns) == ["g1", "g2"]
    assert frame.to_numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_read_gct_13_with_metadata(tmp_path):
    # GCT 1.3: 1 row-metadata column (pr_symbol), 1 column-metadata row (cell_id)
    lines = [
        "#1.3",
        "2\t3\t1\t1",
        "id\tpr_symbol\ts1\ts2\ts3",
        "cell_id\t-666\tA375\tA375\tPC3",
        "g1\tTP53\t1\t2\t3",
        "g2\tESR1\t4\t5\t6",
    ]
    path = tmp_path / "m.gct"
    path.write_text("\n".join(lines) + "\n")
    frame = read_expression(path)
    assert list(frame.index) == ["s1", "s2", "s3"] and list(frame.columns) == ["g1", "g2"]
    assert frame["g2"].tolist() == [4.0, 5.0, 6.0]


# ---------------------------------------------------------------- faults found by an API sweep


def test_quantile_normalize_refuses_a_reference_with_nan(small):
    with pytest.raises(InputError, match=r"reference holds NaN or infinite values.*position 1"):
        quantile_normalize(small, reference=[1.0, np.nan, 3.0, 4.0])
    with pytest.raises(InputError, match=r"reference has shape \(3,\), expected \(4,\)"):
        quantile_normalize(small, reference=[1.0, 2.0, 3.0])


def test_gene_scaler_ddof_must_fit_the_samples(small):
    with pytest.raises(ParameterError, match=r"ddof must be in 0\.\.2 .*3 fitting samples"):
        GeneScaler(ddof=3, min_relative_sd=0).fit(small)
    with pytest.raises(ParameterError, match="ddof must be >= 0, got -1"):
        GeneScaler(ddof=-1)
    with pytest.raises(ParameterError, match="ddof must be a whole number, got 1.5"):
        GeneScaler(ddof=1.5)
    scale = GeneScaler(ddof=2, min_relative_sd=0).fit(small).scale_
    np.testing.assert_allclose(scale, small.std(ddof=2))


def test_gene_scaler_rows_out_of_range_are_named(small):
    with pytest.raises(ParameterError, match=r"row 99 is out of range \(3 samples\)"):
        GeneScaler().fit(small, rows=[0, 99])
    with pytest.raises(ParameterError, match=r"boolean mask of shape \(2,\) for 3 samples"):
        GeneScaler().fit(small, rows=[True, False])
    assert GeneScaler(min_relative_sd=0).fit(small, rows=[0, -1]).n_samples_ == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda a, _: top_variable_genes(a, 2),
        lambda a, _: log2_transform(a),
        lambda a, _: quantile_normalize(a),
        lambda a, _: collapse_duplicates(a),
        lambda a, _: rename_genes(a, {"g1": "G1"}),
        lambda a, path: write_expression(a, path / "m.tsv"),
    ],
)
def test_an_array_instead_of_a_frame_is_named(small, call, tmp_path):
    with pytest.raises(InputError, match=r"must be a pandas DataFrame \(samples x genes\), got "
                       "ndarray"):  # fmt: skip
        call(small.to_numpy(), tmp_path)
    assert not any(tmp_path.iterdir())


def test_top_variable_genes_k_must_be_whole(small):
    with pytest.raises(ParameterError, match="k must be a whole number, got 2.5"):
        top_variable_genes(small, 2.5)
    assert top_variable_genes(small, 2.0) == ["g4", "g2"]


def test_a_text_column_is_named(small):
    frame = small.assign(note=["x", "y", "z"])
    with pytest.raises(InputError, match=r"column 'note' holds a value that is not a number"):
        top_variable_genes(frame, 2)
    with pytest.raises(InputError, match=r"column 'note' .*'x' in row 's1'"):
        GeneScaler().fit(frame)


def test_matrix_written_block_by_block_as_whole(tmp_path):
    """write_expression_chunks writes what write_expression writes, in every format, keeps
    nothing when a block fails, and refuses blocks that do not fit together."""
    from gexnb.data.expression import write_expression, write_expression_chunks

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(25, 4)),
        index=pd.Index([f"s{i}" * (1 + i // 10) for i in range(25)], name="sample"),
        columns=list("abcd"),
    )
    blocks = [frame.iloc[:7], frame.iloc[7:20], frame.iloc[20:]]
    for suffix in ("tsv", "tsv.gz", "csv", "parquet", "h5"):
        whole = read_expression(write_expression(frame, tmp_path / f"whole.{suffix}"))
        parts = read_expression(
            write_expression_chunks(blocks, tmp_path / f"parts.{suffix}", n_samples=25)
        )
        pd.testing.assert_frame_equal(whole, parts)
        np.testing.assert_allclose(parts.to_numpy(), frame.to_numpy())

    def failing():
        yield frame.iloc[:7]
        raise InputError("block 2 failed")

    for suffix in ("tsv.gz", "parquet", "h5"):
        with pytest.raises(InputError, match="block 2 failed"):
            write_expression_chunks(failing(), tmp_path / f"failed.{suffix}", n_samples=25)
    assert not list(tmp_path.glob("*failed*")) and not list(tmp_path.glob(".*"))
    with pytest.raises(InputError, match="parts2.tsv: blocks with different columns"):
        write_expression_chunks([frame, frame.iloc[:, :2]], tmp_path / "parts2.tsv")
    as_float32 = frame.iloc[7:].astype("float32")
    with pytest.raises(InputError, match="different column types or index"):
        write_expression_chunks([frame.iloc[:7], as_float32], tmp_path / "p.parquet")
    with pytest.raises(InputError, match="7 samples written, 25 announced"):
        write_expression_chunks([frame.iloc[:7]], tmp_path / "p.h5", n_samples=25)
    with pytest.raises(ParameterError, match="needs n_samples"):
        write_expression_chunks(blocks, tmp_path / "p.h5")
    assert not list(tmp_path.glob("p.*")) and not list(tmp_path.glob("parts2*"))
