"""Saved landmark models (notebook 03's save_models) applied to new samples: gexnb predict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("keras")

from gexnb import cli  # noqa: E402
from gexnb.data.expression import read_expression, write_expression  # noqa: E402
from gexnb.data.landmark import load_landmark_data  # noqa: E402
from gexnb.errors import InputError, ParameterError  # noqa: E402
from gexnb.pipelines import landmark as pl  # noqa: E402
from gexnb.pipelines.landmark_predictor import (  # noqa: E402
    PREDICTOR_JSON,
    load_predictor,
    predict_landmark_file,
    saved_predictors,
)

SIZES = {"n_samples": 160, "n_landmarks": 12, "n_targets": 18}
DEEP = {"hidden": [8], "epochs": 2}
PARAMS = {"dgex": DEEP, "egex": {"epochs": 1, "code_size": 4}}


def _data(**kwargs):
    return load_landmark_data("", synthetic=SIZES, **kwargs)


def _run(data, out, models, save, **kwargs):
    return pl.run_landmark_comparison(
        data,
        models=models,
        model_params=PARAMS,
        output_dir=out,
        progress=False,
        save_models=save,
        training={"epochs": 2},
        **kwargs,
    )


def _held_out(out, model):
    return pd.read_parquet(out / "predictions" / "random" / f"test_{model}.parquet")


def test_saved_models_reproduce_the_notebooks_predictions(tmp_path):
    """Without quantile normalisation every step is per gene: the saved model and its
    preprocessing give the notebook's own held-out predictions, for every kind of model."""
    data = _data()
    models = ["linear", "knn_ge", "ridge", "dgex", "egex"]
    result = _run(data, tmp_path, models, models, quantile=False)
    cost = pl.saved_model_cost(result.table)
    assert len(cost) == len(models)
    np.testing.assert_allclose(cost[pl.SAVED_KEY], cost["mae_expr"], rtol=1e-5)
    assert result.metrics[f"dgex/test/{pl.SAVED_KEY}"] == cost.loc[("dgex", "test"), pl.SAVED_KEY]
    assert [p.name for p in saved_predictors(tmp_path)] == sorted(models)
    import io
    import zipfile

    import h5py

    for deep in ("dgex", "egex"):  # the weights only, without the optimizer's state
        with zipfile.ZipFile(tmp_path / "models" / "random" / deep / "predictor.keras") as z:
            with h5py.File(io.BytesIO(z.read("model.weights.h5"))) as weights:
                assert "optimizer" not in weights, deep
    source = load_predictor(tmp_path / "models" / "random" / "ridge").source
    assert source["notebook"] == "03_landmark_models" and source["split"] == "random"
    assert source["gexnb"] != "unknown" and source["seed"] == 0
    raw = pd.concat([data.X, data.Y], axis=1)
    for model in models:
        expected = _held_out(tmp_path, model)
        got = load_predictor(tmp_path / "models" / "random" / model).predict(
            raw.loc[expected.index]
        )
        assert list(got.columns) == list(expected.columns)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=2e-5, err_msg=model)


def test_quantile_normalisation_uses_the_landmarks_only(tmp_path):
    """With quantile normalisation a new sample is normalised on its landmarks alone: its
    target columns, present or not, change nothing, and a sample whose landmarks already
    have the training landmarks' distribution keeps those values. The notebook normalises
    its own samples' inputs the same way, so the saved model gives its held-out predictions
    (``mae_expr_saved`` was 33 % above ``mae_expr`` for ridge on this data, when the
    notebook's inputs were normalised over landmarks and targets together)."""
    data = _data()
    result = _run(data, tmp_path, ["linear", "ridge"], ["ridge"], quantile=True)
    predictor = load_predictor(tmp_path / "models" / "random" / "ridge")
    test = _held_out(tmp_path, "ridge").index
    raw = data.X.loc[test]
    measured = pd.read_parquet(tmp_path / "predictions" / "random" / "test_measured.parquet")
    saved_mae = float(np.abs(predictor.predict(raw) - measured).to_numpy().mean())
    assert result.metrics[f"ridge/test/{pl.SAVED_KEY}"] == pytest.approx(saved_mae, rel=1e-6)
    cost = pl.saved_model_cost(result.table)
    np.testing.assert_allclose(cost[pl.SAVED_KEY], cost["mae_expr"], rtol=1e-5)
    np.testing.assert_allclose(
        predictor.predict(raw).to_numpy(), _held_out(tmp_path, "ridge").to_numpy(), atol=2e-5
    )
    ref = predictor.quantile_reference
    assert ref is not None and ref.shape == (data.X.shape[1],) and np.all(np.diff(ref) >= 0)
    full = pd.concat([data.X, data.Y], axis=1).iloc[:20]
    with_targets = predictor.predict(full)
    shuffled_targets = full.copy()
    shuffled_targets[data.Y.columns] = full[data.Y.columns].to_numpy()[::-1]
    pd.testing.assert_frame_equal(with_targets, predictor.predict(shuffled_targets))
    pd.testing.assert_frame_equal(with_targets, predictor.predict(data.X.iloc[:20]))
    order = np.random.default_rng(0).permutation(len(ref))
    sample = pd.DataFrame([ref[order]], columns=data.X.columns, index=["s"])
    z = predictor.inputs(sample)
    np.testing.assert_allclose(
        z.to_numpy()[0], (ref[order] - predictor.x_center) / predictor.x_scale, atol=1e-9
    )


def test_landmarks_found_by_any_identifier(tmp_path):
    """Trained on probe-named columns with a three-identifier list, a saved model finds its
    landmarks in a matrix named by gene symbols (or Ensembl ids), in any column order."""
    data = _data()
    frame = pd.concat([data.X, data.Y], axis=1)
    lm = pd.DataFrame(
        {
            "symbol": [f"SYM{i}" for i in range(data.X.shape[1])],
            "ensembl": [f"ENSG{i:011d}" for i in range(data.X.shape[1])],
            "probe": list(data.X.columns),
        }
    )
    tg = pd.DataFrame({"symbol": None, "ensembl": None, "probe": list(data.Y.columns)})
    real = load_landmark_data(frame, landmark_list=lm, target_list=tg, transform="none")
    _run(real, tmp_path, ["linear", "ridge"], ["ridge"], quantile=False)
    predictor = load_predictor(tmp_path / "models" / "random" / "ridge")
    expected = predictor.predict(frame.iloc[:5])
    by_symbol = frame.iloc[:5].rename(columns=dict(zip(lm["probe"], lm["symbol"], strict=True)))
    by_ensembl = frame.iloc[:5, ::-1].rename(
        columns={p: f"{e}.7" for p, e in zip(lm["probe"], lm["ensembl"], strict=True)}
    )
    pd.testing.assert_frame_equal(predictor.predict(by_symbol), expected)
    pd.testing.assert_frame_equal(predictor.predict(by_ensembl), expected)
    with pytest.raises(InputError, match="SYM3"):
        predictor.predict(by_symbol.drop(columns=["SYM3"]))


def test_save_models_names_checked(tmp_path, caplog):
    data = _data()
    with pytest.raises(ParameterError, match="rigde"):
        _run(data, tmp_path / "a", ["linear"], ["rigde"])
    with caplog.at_level("INFO", logger="gexnb.pipelines.landmark"):
        _run(data, tmp_path / "b", ["linear", "ridge"], ["ridge", "dgex"])
    assert "models to save but not run, not saved: dgex" in caplog.text
    assert [p.name for p in saved_predictors(tmp_path / "b")] == ["ridge"]
    with pytest.raises(ParameterError, match="list of names"):
        _run(data, tmp_path / "c", ["linear"], "linear")


def test_save_defaults_stated_once():
    """The notebook's ``save`` default is :data:`SAVE_DEFAULTS`, the pipeline's too, and the
    old ``save_predictions`` name is refused naming the new one."""
    import inspect
    from pathlib import Path

    from gexnb import runner

    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "03_landmark_models.ipynb"
    assert runner.notebook_parameters(notebook)["save"].default == pl.SAVE_DEFAULTS
    signature = inspect.signature(pl.run_landmark_comparison).parameters
    assert signature["save_predictions"].default == pl.SAVE_DEFAULTS["predictions"]
    assert list(signature["save_models"].default) == pl.SAVE_DEFAULTS["models"]
    assert "was renamed 'save'" in runner.unknown_parameter_hint("save_predictions", ["save"])


def test_without_normalisation_the_cost_table_uses_the_plain_mae(tmp_path):
    result = _run(_data(), tmp_path, ["linear", "ridge"], ["ridge"], normalization="none")
    cost = pl.saved_model_cost(result.table)
    assert cost.loc[("ridge", "test"), "mae_expr"] == result.table.loc[("ridge", "test"), "mae"]
    assert abs(cost.loc[("ridge", "test"), "difference_%"]) < 1e-3


def test_all_samples_reference_and_a_list_row_without_the_matched_id(tmp_path, caplog):
    """With normalization 'all' the landmark reference comes from every sample, as the
    training statistics did; a landmark whose list row lacks the identifier kind the new
    matrix uses is found by another of its ids; two inputs on one column are warned of."""
    data = _data()
    frame = pd.concat([data.X, data.Y], axis=1)
    n = data.X.shape[1]
    lm = pd.DataFrame(
        {
            "symbol": [f"SYM{i}" for i in range(n - 1)] + ["SYM0"],
            "ensembl": [f"ENSG{i:011d}" for i in range(n - 1)] + [None],
            "probe": list(data.X.columns),
        }
    )
    tg = pd.DataFrame({"symbol": None, "ensembl": None, "probe": list(data.Y.columns)})
    real = load_landmark_data(frame, landmark_list=lm, target_list=tg, transform="none")
    _run(real, tmp_path, ["linear", "ridge"], ["ridge"], normalization="all")
    predictor = load_predictor(tmp_path / "models" / "random" / "ridge")
    from gexnb.data.expression import quantile_normalize, quantile_reference

    joint = quantile_normalize(frame, reference=quantile_reference(frame))
    expected = np.sort(joint[data.X.columns].to_numpy(), axis=1).mean(axis=0)
    np.testing.assert_allclose(predictor.quantile_reference, expected, atol=1e-4)
    ensembl = {p: e for p, e in zip(lm["probe"], lm["ensembl"], strict=True) if e is not None}
    by_ensembl = frame.rename(columns=ensembl)
    assert by_ensembl.columns[n - 1] == data.X.columns[-1]  # the row without an Ensembl id
    pd.testing.assert_frame_equal(predictor.predict(by_ensembl), predictor.predict(frame))
    by_symbol = frame.rename(columns=dict(zip(lm["probe"], lm["symbol"], strict=True)))
    by_symbol = by_symbol.loc[:, ~by_symbol.columns.duplicated()]
    with caplog.at_level("WARNING"):
        predictor.predict(by_symbol)
    assert "2 model inputs" in caplog.text and "same matrix column" in caplog.text


def test_gexnb_predict_command(tmp_path, capsys):
    """``gexnb predict`` on a landmark model's folder: any matrix format, a genes x samples
    file recognised by its landmark row ids, NaN in a gene that is no landmark ignored; the
    output read back equals the predictor's own predictions."""
    data = _data()
    _run(data, tmp_path / "run", ["linear", "dgex"], ["dgex"], quantile=True)
    folder = tmp_path / "run" / "models" / "random" / "dgex"
    new = pd.concat([data.X, data.Y], axis=1).iloc[:30].copy()
    new[data.Y.columns[0]] = np.nan
    source = tmp_path / "new_genes_x_samples.tsv"
    new.T.to_csv(source, sep="\t")
    out = tmp_path / "targets.parquet"
    assert (
        cli.main(["predict", "--model", str(folder), "--input", str(source), "--output", str(out)])
        == 0
    )
    assert "30 samples x 18 target genes (dgex, split random)" in capsys.readouterr().out
    expected = load_predictor(folder).predict(new)
    got = read_expression(out)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6, atol=1e-6)
    assert list(got.index) == list(new.index)
    n, _ = predict_landmark_file(folder / PREDICTOR_JSON, source, tmp_path / "t.tsv")
    assert n == 30
    # gene ids repeated in a genes x samples file (a target twice): not refused as duplicated
    # sample ids; the orientation is recognised before the sample ids are checked
    repeated = pd.concat([new.T, new.T.iloc[[-1]]])
    assert repeated.index.duplicated().any()
    twice = tmp_path / "repeated_genes.tsv"
    repeated.to_csv(twice, sep="\t")
    predict_landmark_file(folder, twice, tmp_path / "t2.tsv")
    np.testing.assert_allclose(read_expression(tmp_path / "t2.tsv"), got, rtol=1e-6, atol=1e-6)
    with pytest.raises(InputError, match="give --orientation genes_x_samples, or leave"):
        predict_landmark_file(folder, source, tmp_path / "t.tsv", orientation="samples_x_genes")


def test_gexnb_predict_refusals(tmp_path, capsys):
    data = _data()
    _run(data, tmp_path / "run", ["linear", "dgex"], ["dgex"])
    folder = tmp_path / "run" / "models" / "random" / "dgex"
    source = write_expression(data.X.iloc[:4], tmp_path / "new.tsv")

    def fails(*args):
        assert cli.main(["predict", *args]) == 2
        return capsys.readouterr().err

    base = ["--input", str(source), "--output"]
    assert "is the model file" in fails(
        "--model", str(folder), *base, str(folder / "predictor.keras")
    )
    assert "without predictor.json" in fails("--model", str(tmp_path / "run"), *base, "o.tsv")
    bad = write_expression(data.X.iloc[:4].drop(columns=data.X.columns[2]), tmp_path / "b.tsv")
    err = fails("--model", str(folder), "--input", str(bad), "--output", str(tmp_path / "o.tsv"))
    assert data.X.columns[2] in err and "b.tsv" in err
    (folder / PREDICTOR_JSON).write_text('{"format": "other"}')
    assert "not a gexnb landmark predictor" in fails("--model", str(folder), *base, "o.tsv")


@pytest.fixture(scope="module")
def linear_scale_run(tmp_path_factory):
    """ridge and dgex trained on linear-scale values (transform log2), saved."""
    base = _data()
    frame = 2.0 ** pd.concat([base.X, base.Y], axis=1)
    data = load_landmark_data(
        frame,
        landmark_list=list(base.X.columns),
        target_list=list(base.Y.columns),
        transform="log2",
    )
    out = tmp_path_factory.mktemp("linear_scale")
    _run(data, out, ["linear", "ridge", "dgex"], ["ridge", "dgex"], quantile=False)
    return out / "models" / "random", frame


def _edited(folder, tmp_path, **changes):
    import json
    import shutil

    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    record = json.loads((copy / PREDICTOR_JSON).read_text())
    for key, value in changes.items():
        if value is KeyError:
            record.pop(key)
        else:
            record[key] = value(record) if callable(value) else value
    (copy / PREDICTOR_JSON).write_text(json.dumps(record))
    return copy


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"landmarks": KeyError}, "landmarks must map 'id'"),
        ({"targets": lambda r: r["targets"][:-2]}, "y_center must be 16 finite numbers"),
        (
            {k: (lambda r, k=k: r[k][:-2]) for k in ("targets", "y_center", "y_scale")},
            "gives 18 outputs, the record lists 16 target genes",
        ),
        ({"x_center": lambda r: r["x_center"][:-1]}, "x_center must be 12 finite numbers"),
        ({"x_center": lambda r: ["a"] * 12}, "x_center holds values that are not numbers"),
        ({"x_scale": None}, "x_center and x_scale must be given together"),
        ({"x_scale": lambda r: [0.0] * 12}, "x_scale must be positive"),
        ({"version": "abc"}, "version 'abc' is not a whole number"),
        ({"version": 99}, "newer gexnb"),
        ({"model_file": "../dgex/predictor.keras"}, "model_file must be predictor.keras"),
        ({"transform": "log10"}, "transform must be 'log2' or 'none'"),
        ({"targets": "TG1"}, "targets must be a list"),
        ({"model_file": "predictor.keras"}, "its model predictor.keras is missing"),
        ({"input_min": "0"}, "input_min '0' is not a number"),
    ],
)
def test_a_damaged_or_edited_predictor_is_refused_naming_the_part(
    linear_scale_run, tmp_path, changes, message
):
    folder = _edited(linear_scale_run[0] / "ridge", tmp_path, **changes)
    with pytest.raises(InputError, match=message) as info:
        load_predictor(folder)
    assert PREDICTOR_JSON in str(info.value)


def test_damaged_model_files_and_other_models_are_refused(linear_scale_run, tmp_path):
    runs = linear_scale_run[0]
    folder = _edited(runs / "ridge", tmp_path)
    (folder / "predictor.joblib").write_bytes(b"not a pickle")
    with pytest.raises(InputError, match="predictor.joblib: cannot be loaded"):
        load_predictor(folder)
    other = _edited(
        runs / "dgex",
        tmp_path,
        landmarks=lambda r: {k: v[:-1] for k, v in r["landmarks"].items()},
        x_center=None,
        x_scale=None,
    )
    with pytest.raises(InputError, match="does not take the 11 landmark genes"):
        load_predictor(other)


def test_values_on_another_scale_are_refused(linear_scale_run, tmp_path):
    runs, frame = linear_scale_run
    predictor = load_predictor(runs / "dgex")
    assert predictor.transform == "log2" and predictor.input_max > 100
    predictor.predict(frame.iloc[:3])  # the training file's own scale
    with pytest.raises(InputError, match="a log scale"):
        predictor.predict(np.log2(frame.iloc[:3]))
    log_trained = load_predictor(
        _edited(runs / "ridge", tmp_path, transform="none", input_max=15.0)
    )
    with pytest.raises(InputError, match="a linear scale"):
        log_trained.predict(frame.iloc[:3])
    # x100 (another scale factor) to a model without quantile normalisation: it predicted
    # targets 6.3 log2 units higher, exit 0 (a new-user trial)
    with pytest.raises(InputError, match=r"3 of 3 sample\(s\) .* median z-score .* scale"):
        predictor.predict(frame.iloc[:3] * 100)
    predictor.predict(frame.iloc[:3] * 1.5)  # a modest shift passes
    assert 0 < predictor.median_z_max < 4  # the training samples' own largest |median z|
    # a training set whose own samples reach far (a small offset study; the review): the
    # limit follows it, 1.5 times as far
    wide = load_predictor(_edited(runs / "dgex", tmp_path, median_z_max=10.0))
    wide.predict(frame.iloc[:3] * 100)
    old = load_predictor(_edited(runs / "dgex", tmp_path / "old", median_z_max=KeyError))
    assert old.median_z_max is None  # saved before it was recorded: the fixed limit
    with pytest.raises(InputError, match="median z-score"):
        old.predict(frame.iloc[:3] * 100)
    flat = frame.iloc[:3].copy()
    flat.iloc[1] = 500.0
    with pytest.raises(InputError, match=f"one value for every landmark gene.*: {flat.index[1]}$"):
        predictor.predict(flat)
    with pytest.warns(UserWarning, match="floors 1 negative"):
        negative = frame.iloc[:3].copy()
        negative.iloc[0, 0] = -5.0
        predictor.predict(negative)


def test_z_scores_for_a_model_of_non_negative_values_are_refused(tmp_path):
    """Z-scored landmarks (half of them negative) given to a model trained on log
    expression, none below 0, were predicted without a word (new-user trial on pbmc68k's
    scaled matrix, 2026-11-30)."""
    synthetic = _data()
    frame = pd.concat([synthetic.X, synthetic.Y], axis=1).clip(lower=0.0)  # log2(1 + x)-like
    data = load_landmark_data(
        frame, landmark_list=list(synthetic.X.columns), target_list=list(synthetic.Y.columns)
    )
    _run(data, tmp_path / "run", ["ridge"], ["ridge"])
    predictor = load_predictor(tmp_path / "run" / "models" / "random" / "ridge")
    values = data.X.to_numpy()
    assert predictor.input_min == pytest.approx(values.min()) and values.min() >= 0
    zscores = (data.X - data.X.mean()) / data.X.std()
    with pytest.raises(InputError, match=r"are below 0, down to .*z-scores or log ratios\?"):
        predictor.predict(zscores.iloc[:20])
    few = data.X.iloc[:20].copy()
    few.iloc[0, 0] = -0.5  # one value in 240: a batch correction's rounding, not z-scores
    assert predictor.predict(few).shape == (20, len(predictor.targets))
    older = load_predictor(_edited(tmp_path / "run" / "models" / "random" / "ridge", tmp_path,
                                   input_min=KeyError))  # fmt: skip
    assert older.input_min is None  # a predictor saved before input_min: not checked
    older.predict(zscores.iloc[:20])


def test_predict_command_checks_before_reading(linear_scale_run, tmp_path, capsys):
    runs, frame = linear_scale_run
    source = write_expression(frame.iloc[:4], tmp_path / "new.tsv")
    with_nan = frame.iloc[:4].copy()
    with_nan.iloc[2, 3] = np.nan
    nan_file = write_expression(with_nan, tmp_path / "nan.tsv")

    def fails(*args):
        assert cli.main(["predict", *args]) == 2
        return capsys.readouterr().err

    model = ["--model", str(runs / "ridge")]
    assert "cannot be written" in fails(
        *model, "--input", "missing.tsv", "--output", str(tmp_path / "o.gct")
    )
    err = fails(*model, "--input", str(nan_file), "--output", str(tmp_path / "o.tsv"))
    assert frame.columns[3] in err and frame.index[2] in err and "data_checks" not in err
    assert "1 missing value(s) in 1 landmark gene(s)" in err and "--nan drop_samples" in err
    err = fails(
        *model, "--input", str(source), "--output", str(tmp_path / "o.tsv"), "--too-long", "trim"
    )
    assert "--too-long is for sequence models" in err
    err = fails(
        "--model",
        str(runs / "dgex" / "best.keras"),
        "--input",
        str(source),
        "--output",
        str(tmp_path / "o.tsv"),
    )
    assert "training checkpoint of a landmark model; give its folder" in err
    assert (
        cli.main(
            [
                "predict",
                "--model",
                str(runs / "dgex" / "predictor.keras"),
                "--input",
                str(source),
                "--output",
                str(tmp_path / "o.tsv"),
            ]
        )
        == 0
    )


def test_missing_landmark_values(linear_scale_run, tmp_path, capsys, caplog):
    """``gexnb predict --nan``: error (default), mean (the file's per-gene mean, as the
    notebooks' data_checks fill a gene) or drop_samples; a missing value elsewhere is never
    read, and one in a probe of a duplicated id is not hidden by the probes' average."""
    from gexnb import cli
    from gexnb.pipelines.landmark_predictor import MISSING_LANDMARK_VALUES

    runs, frame = linear_scale_run
    predictor = load_predictor(runs / "ridge")
    lm, target = list(predictor.landmark_ids["id"]), predictor.targets[0]
    new = frame.iloc[:6].copy()
    new.loc[new.index[1], lm[2]] = np.nan
    new.loc[new.index[4], lm[5]] = np.nan
    new.loc[new.index[0], target] = np.nan  # no landmark: not read, under every policy
    source = write_expression(new, tmp_path / "new.tsv")
    with pytest.raises(InputError, match=rf"2 missing value\(s\) in 2 landmark gene\(s\).*{lm[2]}"):
        predictor.predict(new)

    def run(nan, out):
        args = ["predict", "--model", str(runs / "ridge"), "--input", str(source)]
        assert cli.main([*args, "--output", str(out), "--nan", nan]) == 0, capsys.readouterr()
        return read_expression(out), capsys.readouterr().out

    got, said = run("drop_samples", tmp_path / "kept.tsv")
    complete = new.drop(index=[new.index[1], new.index[4]])
    assert "4 samples x" in said and list(got.index) == list(complete.index)
    np.testing.assert_allclose(got.to_numpy(), predictor.predict(complete).to_numpy(), atol=1e-9)
    got, said = run("mean", tmp_path / "filled.tsv")
    filled = new.loc[:, lm].fillna(new.loc[:, lm].mean())
    assert "6 samples x" in said
    np.testing.assert_allclose(got.to_numpy(), predictor.predict(filled).to_numpy(), atol=1e-9)
    with pytest.raises(SystemExit):
        cli.main(["predict", "--model", str(runs / "ridge"), "--input", str(source),
                  "--output", str(tmp_path / "o.tsv"), "--nan", "zero"])  # fmt: skip
    assert "invalid choice: 'zero'" in capsys.readouterr().err

    empty = new.copy()
    empty[lm[0]] = np.nan
    with pytest.raises(InputError, match=f"no value in any sample, so no mean.*{lm[0]}"):
        predictor.predict(empty, nan="mean")
    with pytest.raises(InputError, match="no sample has every landmark value"):
        predictor.predict(empty, nan="drop_samples")
    with pytest.raises(ParameterError, match="nan must be one of error, mean, drop_samples"):
        predictor.predict(new, nan="zero")
    infinite = frame.iloc[:3].copy()
    infinite.loc[infinite.index[0], lm[1]] = np.inf
    with pytest.raises(InputError, match=f"infinite values in 1 landmark gene.*{lm[1]}"):
        predictor.predict(infinite, nan="mean")
    # a landmark on two probes, one missing in a sample: the mean of those measured (the
    # other), as before --nan (found by a review); an infinite value in another gene is no
    # concern of the model's; one landmark in two columns of a DataFrame is refused by name
    doubled = pd.concat([frame.iloc[:3], frame.iloc[:3, [7]]], axis=1)
    doubled.iloc[0, -1] = np.nan
    doubled.iloc[1, doubled.columns.get_loc(target)] = np.inf
    dup_file = write_expression(doubled, tmp_path / "dup.tsv")
    args = ["predict", "--model", str(runs / "ridge"), "--input", str(dup_file)]
    assert cli.main([*args, "--output", str(tmp_path / "d.tsv")]) == 0, capsys.readouterr()
    expected = predictor.predict(frame.iloc[:3]).to_numpy()
    np.testing.assert_allclose(read_expression(tmp_path / "d.tsv").to_numpy(), expected)
    with pytest.raises(InputError, match=f"landmark gene.s. with several columns: {lm[7]}"):
        predictor.predict(doubled)
    predict = cli.build_parser()._subparsers._group_actions[0].choices["predict"]
    (choices,) = [action.choices for action in predict._actions if action.dest == "nan"]
    assert tuple(choices) == MISSING_LANDMARK_VALUES


def _write_gctx(frame, path, *, cmappy=True):
    """A samples x genes frame as a GCTX file: rows are genes; cmapPy stores the matrix
    transposed (samples x genes)."""
    import h5py

    with h5py.File(path, "w") as h5:
        values = frame.to_numpy(dtype="float32")
        h5["/0/DATA/0/matrix"] = values if cmappy else values.T
        h5["/0/META/ROW/id"] = np.array(list(frame.columns), dtype="S")
        h5["/0/META/COL/id"] = np.array(list(frame.index), dtype="S")
    return path


@pytest.mark.parametrize("cmappy", [True, False])
def test_a_gctx_file_has_its_landmark_rows_read_alone(linear_scale_run, tmp_path, cmappy):
    """The D-GEX use: an L1000 GCTX of 12,328 genes was read whole (as float64) for a
    model's 978 landmarks; now only the landmark rows are read from the disk."""
    import h5py

    from gexnb.data.expression import expression_gene_ids, read_expression_keeping_nan

    runs, frame = linear_scale_run
    predictor = load_predictor(runs / "ridge")
    new = frame.iloc[:7].copy()
    new.loc[new.index[2], predictor.targets[0]] = np.nan  # never read
    path = _write_gctx(new, tmp_path / "new.gctx", cmappy=cmappy)
    assert expression_gene_ids(path) == list(new.columns)
    assert expression_gene_ids(tmp_path / "x.tsv") is None
    wanted = list(predictor.landmark_ids["id"])
    part = read_expression_keeping_nan(path, genes=wanted[:3] + ["absent"])
    assert list(part.columns) == wanted[:3] and part.shape == (7, 3)
    read = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        value = original(self, key)
        if self.name == "/0/DATA/0/matrix":
            read.append(np.asarray(value).shape)
        return value

    out = tmp_path / "t.tsv"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(h5py.Dataset, "__getitem__", spy)
        n, _ = predict_landmark_file(runs / "ridge", path, out)
    assert n == 7 and read == [(7, 12) if cmappy else (12, 7)]  # the 12 landmark rows only
    expected = predictor.predict(new.astype("float32").astype("float64"))
    np.testing.assert_allclose(read_expression(out).to_numpy(), expected.to_numpy(), atol=1e-6)


def test_an_l1000_gctx_named_by_entrez_ids_is_read_by_its_stored_symbols(
    linear_scale_run, tmp_path, caplog
):
    """A LINCS GCTX names its genes by Entrez id, with pr_gene_symbol in its row metadata:
    D-GEX's lists (symbol, Ensembl id, probe) matched none of them, in notebook 03 and in
    gexnb predict."""
    import h5py

    runs, frame = linear_scale_run
    entrez = [str(1000 + i) for i in range(frame.shape[1])]

    def l1000(part, path):
        _write_gctx(part.set_axis(entrez, axis=1), path)
        with h5py.File(path, "a") as h5:
            h5["/0/META/ROW/pr_gene_symbol"] = np.array(list(frame.columns), dtype="S")
        return path

    base = _data()
    path = l1000(frame, tmp_path / "train.gctx")
    with caplog.at_level("WARNING", logger="gexnb.data.expression.genes"):
        data = load_landmark_data(str(path), landmark_list=list(base.X.columns),
                                  target_list=list(base.Y.columns), transform="log2")  # fmt: skip
    assert "its genes are named by those symbols" in caplog.text
    assert list(data.X.columns) == list(base.X.columns)
    new = l1000(frame.iloc[:5], tmp_path / "new.gctx")
    out = tmp_path / "t.tsv"
    n, predictor = predict_landmark_file(runs / "ridge", new, out)
    expected = predictor.predict(frame.iloc[:5].astype("float32").astype("float64"))
    np.testing.assert_allclose(read_expression(out).to_numpy(), expected.to_numpy(), atol=1e-6)


@pytest.mark.parametrize("version", ["1.2", "1.3", "1.2_quoted"])
def test_a_gct_file_has_its_landmark_rows_parsed_alone(linear_scale_run, tmp_path, caplog, version):
    """A GCT file (genes x samples, a Description or row-metadata fields, GCT 1.3's
    column-metadata lines) had every value parsed for a model's landmarks; now only the
    landmark rows' values are (a text value in another gene is never read). A GCT whose
    descriptions are quoted is read whole, as before. Same predictions."""
    import gexnb.data.expression.readers as readers
    from gexnb.data.expression import expression_gene_ids

    runs, frame = linear_scale_run
    predictor = load_predictor(runs / "ridge")
    new = frame.iloc[:7]
    wanted = list(predictor.landmark_ids["id"])
    plain = version != "1.2_quoted"
    body = new.T.astype(object)
    if plain:  # not a number, in a gene the model does not use
        body.loc[next(g for g in new.columns if g not in wanted), new.index[2]] = "abc"
    described = "\t".join if plain else (lambda f: "\t".join([f[0], f'"{f[1]}"', *f[2:]]))
    if version == "1.3":
        lines = ["#1.3", f"{body.shape[0]}\t{body.shape[1]}\t2\t1"]
        lines.append("\t".join(["id", "pr_symbol", "pr_type", *new.index]))
        lines.append("\t".join(["cell_id", "-666", "-666", *("A375" for _ in new.index)]))
        lines += ["\t".join([g, "sym", "lm", *map(str, body.loc[g])]) for g in body.index]
    else:
        lines = ["#1.2", f"{body.shape[0]}\t{body.shape[1]}"]
        lines.append("\t".join(["Name", "Description", *new.index]))
        lines += [described([g, f"gene {g}", *map(str, body.loc[g])]) for g in body.index]
    path = tmp_path / "new.gct"
    path.write_text("\n".join(lines) + "\n\n")  # a blank line at the end, as pandas skips
    assert expression_gene_ids(path) == list(new.columns)
    parsed = []
    original = readers._fast_table

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        parsed.append(None if result is None else sorted(result.index))
        return result

    out = tmp_path / "t.tsv"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(readers, "_fast_table", spy)
        n, _ = predict_landmark_file(runs / "ridge", path, out)
    assert n == 7
    assert parsed == [sorted(wanted) if plain else None]
    assert len(caplog.messages) == len(set(caplog.messages))  # each warning once
    expected = predictor.predict(new)
    got = read_expression(out)
    assert list(got.index) == list(new.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
    if plain:  # the row count is still checked on a partial read
        path.write_text("\n".join(lines[:-1]) + "\n")
        with pytest.raises(InputError, match=f"GCT says {body.shape[0]} rows but holds"):
            predict_landmark_file(runs / "ridge", path, tmp_path / "t2.tsv")


@pytest.mark.parametrize("sparse", [True, False])
def test_an_h5ad_file_has_its_landmark_columns_read_alone(linear_scale_run, tmp_path, sparse):
    """The single-cell use: an .h5ad of 30,000 genes in a sparse X was made dense whole for
    a model's landmarks; now only the landmark columns of X are read and made dense."""
    import anndata
    import scipy.sparse

    from gexnb.data.expression import expression_gene_ids, read_expression_keeping_nan

    runs, frame = linear_scale_run
    predictor = load_predictor(runs / "ridge")
    new = frame.iloc[:7].copy()
    new.loc[new.index[2], predictor.targets[0]] = np.nan  # never read
    values = new.to_numpy(dtype="float32")
    adata = anndata.AnnData(
        scipy.sparse.csr_matrix(values) if sparse else values,
        obs=pd.DataFrame(index=list(new.index)),
        var=pd.DataFrame(index=list(new.columns)),
    )
    path = tmp_path / "new.h5ad"
    adata.write_h5ad(path)
    assert expression_gene_ids(path) == list(new.columns)
    wanted = list(predictor.landmark_ids["id"])
    part = read_expression_keeping_nan(path, genes=wanted[:3] + ["absent"])
    assert list(part.columns) == wanted[:3] and part.shape == (7, 3)
    dense = []
    original_read, original_toarray = anndata.read_h5ad, scipy.sparse.csr_matrix.toarray

    def read_spy(*args, **kwargs):
        dense.append(("backed", kwargs.get("backed")))
        return original_read(*args, **kwargs)

    def toarray_spy(self, *args, **kwargs):
        dense.append(self.shape)
        return original_toarray(self, *args, **kwargs)

    out = tmp_path / "t.tsv"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(anndata, "read_h5ad", read_spy)
        mp.setattr(scipy.sparse.csr_matrix, "toarray", toarray_spy)
        n, _ = predict_landmark_file(runs / "ridge", path, out)
    opened = [d for d in dense if d[0] == "backed"]
    assert n == 7 and opened and all(d == ("backed", "r") for d in opened)  # X not read whole
    assert [d for d in dense if d[0] != "backed"] == ([(7, 12)] if sparse else [])  # 12 landmarks
    expected = predictor.predict(new.astype("float32").astype("float64"))
    np.testing.assert_allclose(read_expression(out).to_numpy(), expected.to_numpy(), atol=1e-6)
    # a landmark absent from var: read whole, refused by name as before
    adata[:, [c for c in new.columns if c != wanted[0]]].copy().write_h5ad(path)
    with pytest.raises(InputError, match=wanted[0]):
        predict_landmark_file(runs / "ridge", path, tmp_path / "u.tsv")


@pytest.mark.parametrize("layout", ["index", "text_ids", "no_ids", "integer_ids"])
def test_a_parquet_file_has_its_landmark_columns_read_alone(linear_scale_run, tmp_path, layout):
    """A parquet file of every gene has only its landmark columns (and its sample ids) read
    when the schema tells the sample-id column; an integer first column, which needs its
    values to be told from a gene, has the file read whole. Same predictions either way."""
    from gexnb.data.expression import expression_gene_ids

    runs, frame = linear_scale_run
    predictor = load_predictor(runs / "ridge")
    new = frame.iloc[:7].copy()
    new.loc[new.index[2], predictor.targets[0]] = np.nan  # never read
    new = new[[predictor.targets[0], *new.columns.drop(predictor.targets[0])]]  # a gene first
    path = tmp_path / "new.parquet"
    stored = {
        "index": lambda: new,
        "text_ids": lambda: new.rename_axis("sample_id").reset_index(),
        "no_ids": lambda: new.reset_index(drop=True),
        "integer_ids": lambda: new.set_axis(range(100, 107)).rename_axis("n").reset_index(),
    }[layout]()
    stored.to_parquet(path, index=layout == "index")
    known = layout != "integer_ids"
    assert expression_gene_ids(path) == (list(new.columns) if known else None)
    asked = []
    original = pd.read_parquet

    def spy(*args, **kwargs):
        asked.append(kwargs.get("columns"))
        return original(*args, **kwargs)

    out = tmp_path / "t.tsv"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pd, "read_parquet", spy)
        n, _ = predict_landmark_file(runs / "ridge", path, out)
    wanted = list(predictor.landmark_ids["id"])
    ids = ["sample_id"] if layout == "text_ids" else []
    assert n == 7 and asked == [ids + [g for g in new.columns if g in wanted] if known else None]
    samples = range(7) if layout == "no_ids" else range(100, 107) if not known else new.index
    expected = predictor.predict(new.set_axis([str(i) for i in samples]))
    got = read_expression(out)
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_an_hdf5_file_has_its_landmark_columns_read_alone(linear_scale_run, tmp_path):
    """An HDF5 file in gexnb's layout (``write_expression``) has only its landmark columns of
    ``matrix`` read (a pandas ``to_hdf`` frame is read whole: ``test_expression_inputs``).
    Same predictions."""
    import h5py

    from gexnb.data.expression import expression_gene_ids

    runs, frame = linear_scale_run
    predictor = load_predictor(runs / "ridge")
    new = frame.iloc[:7]
    path = write_expression(new, tmp_path / "new.h5")
    assert expression_gene_ids(path) == list(new.columns)
    read = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        if self.name == "/matrix":
            read.append(key)
        return original(self, key)

    out = tmp_path / "t.tsv"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(h5py.Dataset, "__getitem__", spy)
        n, _ = predict_landmark_file(runs / "ridge", path, out)
    wanted = set(predictor.landmark_ids["id"])
    landmarks = [k for k, g in enumerate(new.columns) if g in wanted]
    assert n == 7 and 0 < len(landmarks) < new.shape[1]
    assert read == [(slice(None), landmarks)]
    expected = predictor.predict(new)
    np.testing.assert_allclose(read_expression(out).to_numpy(), expected.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "layout",
    [
        *("samples", "genes", "genes_told", "csv_gz", "comment_line", "r_header", "quoted"),
        *("genes_r", "series_matrix"),
    ],
)
def test_a_text_table_has_its_landmark_values_parsed_alone(
    linear_scale_run, tmp_path, caplog, layout
):
    """A plain numeric TSV/CSV of every gene has only its landmark columns (its landmark
    rows, when its rows are genes) parsed: a text value in another gene is never read. A
    table the fast parser does not take (R's write.table header, quotes) is read whole as
    before. Same predictions either way."""
    import gexnb.data.expression.readers as readers

    runs, frame = linear_scale_run
    predictor = load_predictor(runs / "ridge")
    new = frame.iloc[:7].copy()
    wanted = list(predictor.landmark_ids["id"])
    genes_rows = layout in ("genes", "genes_told", "comment_line", "genes_r", "series_matrix")
    plain = layout not in ("r_header", "genes_r", "series_matrix")  # quoted: ids alone
    table = (new.T if genes_rows else new).astype(object)
    if plain and layout != "quoted":  # not a number, in a gene the model does not use
        other = next(g for g in new.columns if g not in wanted)
        table.loc[other if genes_rows else new.index[2], new.index[2] if genes_rows else other] = (
            "abc"
        )
    path = tmp_path / ("new.csv.gz" if layout == "csv_gz" else "new.tsv")
    sep = "," if layout == "csv_gz" else "\t"
    text = table.to_csv(sep=sep, index_label="id", quoting=3 if layout != "quoted" else 2)
    if layout in ("r_header", "genes_r"):
        text = text.split(sep, 1)[1]  # no name for the row-id column
    if layout == "comment_line":
        text = "# Program:featureCounts v2.0.1\n" + text
    if layout == "series_matrix":  # GEO's GSExxx_series_matrix.txt
        head = '!Series_title\t"x"\n!Series_geo_accession\t"GSE1"\n!series_matrix_table_begin\n'
        text = head + text + "!series_matrix_table_end\n"
    if layout == "csv_gz":
        import gzip

        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    parsed = []
    original = readers._fast_table

    def spy(*args, **kwargs):
        parsed.append({k: sorted(v) for k, v in kwargs.items() if v is not None})
        return original(*args, **kwargs)

    out = tmp_path / "t.tsv"
    told = {"orientation": "genes_x_samples"} if layout == "genes_told" else {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(readers, "_fast_table", spy)
        n, _ = predict_landmark_file(runs / "ridge", path, out, **told)
    assert n == 7
    told_rows = [r for r in caplog.messages if "the landmark genes are row ids" in r]
    assert len(told_rows) == (genes_rows and layout != "genes_told")  # asked once
    assert len(caplog.messages) == len(set(caplog.messages))  # each warning once
    if plain or layout == "genes_r":  # genes_r: tried, its rows one field wider: pandas
        assert parsed == [{"rows" if genes_rows else "columns": sorted(wanted)}]
    else:  # ids not told (R's header, the first landmark taken for the id column's name;
        # a series matrix, its own reader): read whole by pandas
        assert parsed == []
    if layout == "comment_line":
        assert any("skipping 1 comment line" in m for m in caplog.messages)
    expected = predictor.predict(new)
    got = read_expression(out)
    assert list(got.index) == list(new.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("suffix", ["tsv.gz", "csv", "parquet", "h5"])
def test_predictions_written_block_by_block(linear_scale_run, tmp_path, monkeypatch, suffix):
    """``gexnb predict`` holds one block of predictions at a time; the file read back is
    the whole prediction, in every format written."""
    import gexnb.pipelines.landmark_predictor as lp

    runs, frame = linear_scale_run
    monkeypatch.setattr(lp, "BLOCK_SAMPLES", 7)
    source = write_expression(frame.iloc[:30], tmp_path / "new.parquet")
    n, predictor = predict_landmark_file(runs / "dgex", source, tmp_path / f"out.{suffix}")
    assert n == 30
    got = read_expression(tmp_path / f"out.{suffix}")
    expected = predictor.predict(frame.iloc[:30])
    assert list(got.index) == list(expected.index) and list(got.columns) == predictor.targets
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_a_stray_value_changes_no_scale_in_gexnb_predict(tmp_path):
    """transform: auto keeps a log2 matrix with a few stray values as given; gexnb predict
    then took one stray 1e5 of the training file for its scale and refused ordinary log2
    samples ("a log scale?"), and refused a log2 file to predict for one stray 250 (a
    review). Both compare the scales as auto does (robust_max)."""
    genes = [f"LM{i}" for i in range(12)] + [f"TG{i}" for i in range(16)]

    def matrix(n, seed):
        rng = np.random.default_rng(seed)
        values = 8 + rng.normal(size=(n, 3)) @ rng.normal(size=(3, len(genes)))
        values = np.clip(values + rng.normal(0, 0.3, values.shape), 0, 15)
        return pd.DataFrame(values, index=[f"s{seed}_{i}" for i in range(n)], columns=genes)

    train = matrix(80, 1)
    train.iloc[5, 2] = 1e5
    train.to_csv(tmp_path / "train.tsv", sep="\t", index_label="sample")
    data = load_landmark_data(tmp_path / "train.tsv", landmark_list=genes[:12],
                              target_list=genes[12:])  # fmt: skip
    assert data.report["transform"] == "none"
    pl.run_landmark_comparison(
        data, models=["ridge"], output_dir=tmp_path / "run", progress=False,
        save_models=["ridge"], zero_variance="drop",
    )  # fmt: skip
    model = tmp_path / "run" / "models" / "random" / "ridge"
    assert load_predictor(model).input_max <= 15
    new = matrix(2000, 2)
    new.iloc[7, 3] = 250.0
    new.to_csv(tmp_path / "new.tsv", sep="\t", index_label="sample")
    n, _ = predict_landmark_file(model, tmp_path / "new.tsv", tmp_path / "out.tsv")
    assert n == 2000
    (2.0**new).to_csv(tmp_path / "linear.tsv", sep="\t", index_label="sample")
    with pytest.raises(InputError, match="a linear scale"):
        predict_landmark_file(model, tmp_path / "linear.tsv", tmp_path / "out2.tsv")
