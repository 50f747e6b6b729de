"""Gene-list matching faults: Ensembl versions, byte order marks, lists that match nothing,
and landmarks dropped for NaN values (gexnb.data.expression.genes, load_landmark_data)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gexnb.data import expression as ex
from gexnb.data.landmark import load_landmark_data
from gexnb.errors import InputError


def _matrix(columns: list[str], n: int = 6, seed: int = 0) -> pd.DataFrame:
    values = np.random.default_rng(seed).normal(8.0, 1.0, size=(n, len(columns)))
    return pd.DataFrame(values, index=[f"s{i}" for i in range(n)], columns=columns)


def _write_list(path: Path, ids: list[str], *, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(ids) + "\n").encode())
    return path


# ------------------------------------------------------------------ Ensembl versions


@pytest.mark.parametrize(
    ("columns", "listed"),
    [
        (["ENSG00000123456.12", "ENSG00000000001.3", "ENSG00000000002.1"], ["ENSG00000123456"]),
        (["ENSG00000123456", "ENSG00000000001", "ENSG00000000002"], ["ENSG00000123456.12"]),
        (["ENSG00000123456.4", "ENSG00000000001", "ENSG00000000002"], ["ENSG00000123456.12"]),
        (["ENSMUSG00000000001.5", "ENSMUST00000000002.1", "X"], ["ENSMUSG00000000001"]),
        (["ENST00000000009.2", "ENST00000000001", "X"], ["ENST00000000009"]),
    ],
)
def test_ensembl_ids_match_ignoring_the_version(columns, listed):
    match = ex.match_genes(columns, listed)
    assert match.id_type == "ensembl" and match.missing == []
    assert match.found == [columns[0]] and match.labels == listed


def test_version_matched_columns_are_named_by_the_list():
    frame = _matrix(["ENSG01.2", "ENSG02.7", "ENSG03.1"])
    x, y, report = ex.select_landmarks_targets(frame, ["ENSG01", "ENSG02"], ["ENSG03.1"])
    assert list(x.columns) == ["ENSG01", "ENSG02"] and list(y.columns) == ["ENSG03.1"]
    np.testing.assert_array_equal(x.to_numpy(), frame[["ENSG01.2", "ENSG02.7"]].to_numpy())
    assert report["landmarks_missing"] == 0 and report["landmark_id_type"] == "ensembl"


def test_exact_versioned_id_wins_and_a_collapsing_pair_is_refused():
    columns = ["ENSG01.1", "ENSG01.2", "ENSG02.1"]
    assert ex.match_genes(columns, ["ENSG01.2", "ENSG02"]).found == ["ENSG01.2", "ENSG02.1"]
    with pytest.raises(InputError, match=r"only in their Ensembl version.*ENSG01.1, ENSG01.2"):
        ex.match_genes(columns, ["ENSG01", "ENSG02"])


def test_symbols_and_probes_still_match_exactly():
    match = ex.match_genes(["ENSA", "TP53", "1007_s_at"], ["ENSA", "TP53.1"], id_type="symbol")
    assert match.found == ["ENSA"] and match.missing == ["TP53.1"]


def test_one_column_transcript_list_is_read_as_ensembl(tmp_path):
    table = ex.read_gene_list(_write_list(tmp_path / "t.txt", ["ENST00000000001.3", "ENST2"]))
    assert table["ensembl"].tolist() == ["ENST00000000001.3", "ENST2"]


# ------------------------------------------------------------------ byte order mark


def test_gene_list_byte_order_mark_is_removed(tmp_path):
    path = _write_list(tmp_path / "lm.txt", ["202954_at", "219222_at"], bom=True)
    assert ex.read_gene_list(path)["probe"].tolist() == ["202954_at", "219222_at"]
    three = tmp_path / "map.txt"
    three.write_bytes(b"\xef\xbb\xbfsymbol\tensembl\tprobe\nUBE2C\tENSG00000175063\t202954_at\n")
    assert ex.read_gene_list(three)["symbol"].tolist() == ["UBE2C"]
    frame = _matrix(["202954_at", "219222_at", "220091_at"])
    x, _, report = ex.select_landmarks_targets(frame, path, ["220091_at"])
    assert report["landmarks_missing"] == 0 and list(x.columns) == ["202954_at", "219222_at"]


# ------------------------------------------------------------------ a list matching nothing


def test_cross_set_with_other_id_kind_names_the_file_and_both_kinds(tmp_path):
    matrix = tmp_path / "cross_symbols.tsv"
    _matrix(["TP53", "ESR1", "GATA3", "ERBB2"]).to_csv(matrix, sep="\t")
    landmarks = _write_list(tmp_path / "lm.txt", ["1007_s_at", "1053_at"])
    targets = _write_list(tmp_path / "tg.txt", ["117_at", "121_at"])
    with pytest.raises(InputError) as err:
        load_landmark_data(
            matrix, landmark_list=landmarks, target_list=targets, transform="none",
            max_missing_landmarks=1.0, name="cross",
        )  # fmt: skip
    message = str(err.value)
    assert message.startswith(f"{matrix}: no id of the landmark list of {landmarks}")
    assert "matches any column" in message
    assert "probe ids (e.g. '1007_s_at')" in message
    assert "gene symbols (e.g. 'TP53')" in message
    assert "allowed" not in message and "%" not in message


# ------------------------------------------------------------------ genes dropped for NaN


def _nan_matrix(tmp_path: Path) -> Path:
    frame = _matrix(["L1", "L2", "L3", "T1", "T2"])
    frame.iloc[2, 1] = np.nan  # L2
    frame.iloc[0, 4] = np.nan  # T2
    path = tmp_path / "m.tsv"
    frame.to_csv(path, sep="\t")
    return path


def test_read_expression_records_genes_dropped_for_nan(tmp_path):
    frame = ex.read_expression(_nan_matrix(tmp_path), nan="drop_genes")
    assert list(frame.columns) == ["L1", "L3", "T1"]
    assert frame.attrs["dropped_for_nan"] == ["L2", "T2"]
    table = pd.DataFrame([[1.0, np.nan], [2.0, 3.0]], columns=["A", "B"])
    assert ex.apply_policies(table, nan="drop_genes").attrs["dropped_for_nan"] == ["B"]
    assert "dropped_for_nan" not in table.attrs


def test_landmark_dropped_for_nan_is_not_called_absent(tmp_path):
    path = _nan_matrix(tmp_path)
    with pytest.raises(InputError) as err:
        load_landmark_data(
            path, landmark_list=["L1", "L2", "L9"], target_list=["T1", "T2"],
            transform="none", nan="drop_genes",
        )  # fmt: skip
    message = str(err.value)
    assert "2 of 3 landmark genes" in message
    assert "1 absent from the file (first: L9)" in message
    assert "1 left out for their NaN values by data_checks nan (first: L2)" in message
    data = load_landmark_data(
        path, landmark_list=["L1", "L2", "L3"], target_list=["T1", "T2"], transform="none",
        nan="drop_genes", max_missing_landmarks=0.5,
    )  # fmt: skip
    assert list(data.X.columns) == ["L1", "L3"] and list(data.Y.columns) == ["T1"]
    assert data.report["landmarks_dropped_nan"] == 1 and data.report["targets_dropped_nan"] == 1


def test_every_landmark_dropped_for_nan_is_not_called_a_mismatch(tmp_path):
    with pytest.raises(
        InputError, match=r"none of the 1 landmark genes is left.*left out for their NaN"
    ):
        load_landmark_data(
            _nan_matrix(tmp_path), landmark_list=["L2"], target_list=["T1"], transform="none",
            nan="drop_genes", max_missing_landmarks=1.0,
        )  # fmt: skip


def test_overlap_on_a_gene_level_matrix_says_why():
    """D-GEX maps list probes; on a symbol-level matrix two probes of one gene, one a landmark
    and one a target, collapse onto one column (found by a new-user trial)."""
    import pandas as pd

    from gexnb.data.expression import select_landmarks_targets
    from gexnb.errors import InputError

    matrix = pd.DataFrame([[1.0, 2.0, 3.0], [2.0, 1.0, 5.0]], columns=["TP53", "MKI67", "ESR1"])
    lm = pd.DataFrame({"symbol": ["TP53", "MKI67"], "probe": ["201746_at", "212021_s_at"]})
    tg = pd.DataFrame({"symbol": ["TP53", "ESR1"], "probe": ["211300_s_at", "205225_at"]})
    with pytest.raises(InputError, match=r"1 gene\(s\) are both landmarks and targets: TP53 "
                       r"\(matched by symbol: several probes of one gene"):  # fmt: skip
        select_landmarks_targets(matrix, lm, tg)
    # the same gene in both lists was blamed on probes too (new-user trial, 2026-11-30)
    with pytest.raises(InputError, match=r"targets: TP53 \(TP53 in both lists: give each gene"):
        select_landmarks_targets(matrix, ["TP53", "MKI67"], ["TP53", "ESR1"])
    same_row = pd.concat([tg.iloc[:1], pd.DataFrame({"symbol": ["ESR1"], "probe": ["205225_at"]})])
    with pytest.raises(InputError, match=r"TP53 \(TP53 in both lists"):
        select_landmarks_targets(matrix, tg.iloc[:1], same_row.reset_index(drop=True))


def test_a_saved_models_case_hint_asks_to_rename_the_matrix():
    from gexnb.data.expression import check_gene_list
    from gexnb.errors import InputError

    matrix = pd.DataFrame([[1.0, 2.0]], columns=["zyx", "ACTB"])
    with pytest.raises(InputError, match=r"did you mean zyx \(listed as ZYX\)\?"):
        check_gene_list(matrix, ["ZYX", "ACTB"], label="landmark")
    with pytest.raises(InputError, match=r"the matrix has zyx for ZYX; rename its columns as "
                       "the model lists them"):  # fmt: skip
        check_gene_list(matrix, ["ZYX", "ACTB"], label="landmark", list_is_fixed=True)


# ------------------------------------------------------------------ files that are not text


def test_gene_list_that_is_an_excel_workbook_is_named(tmp_path):
    path = tmp_path / "genes.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x84\xff" * 8)
    with pytest.raises(InputError, match=r"genes\.xlsx: looks like an Excel workbook \(\.xlsx\)"):
        ex.read_gene_list(path)


def test_latin1_gene_list_names_the_line(tmp_path):
    path = tmp_path / "genes.txt"
    path.write_bytes("UBE2C\nCAF\xe9\nTOP2A\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"genes\.txt, line 2: byte 0xe9 is not UTF-8 text"):
        ex.read_gene_list(path)


# ------------------------------------------------------------------ missing genes named


def test_missing_targets_are_named_in_the_log_and_listed_in_the_report(tmp_path, caplog):
    listed = ["T1", "SEPT7", "FAKE1", "MKI67P1", "X1", "X2", "X3", "X4"]
    targets = _write_list(tmp_path / "targets.txt", listed)
    frame = _matrix(["L1", "L2", "T1"])
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.genes"):
        data = load_landmark_data(
            frame, landmark_list=["L1", "L2"], target_list=targets, transform="none"
        )
    assert data.report["targets_missing"] == 7
    assert data.report["missing_targets"] == listed[1:]
    assert data.report["missing_landmarks"] == []
    json.dumps(data.report)  # data_report.json
    message = caplog.text
    assert f"7 of 8 target genes of {targets} missing from the matrix" in message
    assert "SEPT7, FAKE1, MKI67P1, X1, X2 and 2 more; the 1 present are used" in message


def test_a_gene_differing_only_in_case_is_suggested_not_matched(caplog):
    frame = _matrix(["L1", "L2", "MKI67", "ACTB", "TP53"])
    with caplog.at_level(logging.WARNING, logger="gexnb.data.expression.genes"):
        _, y, report = ex.select_landmarks_targets(frame, ["L1", "L2"], ["Mki67", "TP53", "foo"])
    assert list(y.columns) == ["TP53"] and report["missing_targets"] == ["Mki67", "foo"]
    assert "gene matching is case-sensitive: did you mean MKI67 (listed as Mki67)?" in caplog.text
    with pytest.raises(InputError) as err:
        ex.select_landmarks_targets(frame, ["L1", "actb"], ["TP53"])
    assert "first missing: actb" in str(err.value)
    assert "did you mean ACTB (listed as actb)?" in str(err.value)
    assert ex.case_suggestions(["a", "b", "c", "d"], ["A", "B", "C", "D", "x"]) == {
        "a": ["A"], "b": ["B"], "c": ["C"], "d": ["D"],
    }  # fmt: skip


def test_case_suggestions_stop_at_three():
    frame = _matrix(["L1", "A1", "B1", "C1", "D1"])
    with pytest.raises(InputError) as err:
        ex.select_landmarks_targets(frame, ["a1", "b1", "c1", "d1"], ["L1"])
    message = str(err.value)
    assert "did you mean A1 (listed as a1), B1 (listed as b1), C1 (listed as c1) and 1 more?" in (
        message
    )


def test_a_list_gene_named_by_several_probes_is_their_mean():
    """D-GEX's map_tg.txt names 3,755 targets by several probes, comma-separated; they were
    matched as one id and left out (a new-user trial)."""
    from gexnb.data.expression import add_probe_groups

    frame = pd.DataFrame({"a_at": [1.0, 3.0], "b_at": [3.0, 5.0], "c_at": [0.0, 1.0]},
                         index=["s1", "s2"])  # fmt: skip
    frame.attrs = {"imputed_genes": ["b_at"]}
    listed = pd.DataFrame({"symbol": ["G1", "G2", "G3"], "ensembl": [None] * 3,
                           "probe": ["a_at,b_at", "c_at,z_at", "y_at,z_at"]})  # fmt: skip
    out = add_probe_groups(frame, listed)
    assert list(out.columns) == ["a_at", "b_at", "c_at", "a_at,b_at", "c_at,z_at"]
    assert out["a_at,b_at"].tolist() == [2.0, 4.0]  # the mean of its probes
    assert out["c_at,z_at"].tolist() == [0.0, 1.0]  # the probes the matrix has
    assert out.attrs["imputed_genes"] == ["b_at", "a_at,b_at"]  # a filled probe fills it
    assert add_probe_groups(frame, ["a_at", "c_at"]) is frame
