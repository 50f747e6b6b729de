"""Notebook 02's comparison models: LegNet / DREAM-CNN trained beside the BiGRU."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gexnb.data.promoters import load_promoters
from gexnb.errors import ParameterError
from gexnb.pipelines import promoter
from gexnb.pipelines.dream_models import COMPARE_MODELS, train_sequence_model
from gexnb.train import predict, predict_file

SMALL = {"block_sizes": [8, 8, 4], "kernel_size": 3, "epochs": 2, "batch_size": 64}


@pytest.fixture(scope="module")
def data():
    return promoter.normalize_targets(load_promoters("", n_synthetic=300, length=120, seed=1))


def test_notebook_02_models_come_from_the_registry():
    assert set(COMPARE_MODELS) == {"legnet", "dream_cnn"}


@pytest.mark.parametrize("soft_bins", [True, False])
def test_bin_model_predicts_on_the_normalised_scale(data, tmp_path, soft_bins):
    trained = train_sequence_model(data, "legnet", output_dir=tmp_path, seed=0,
                                   params={**SMALL, "soft_bins": soft_bins})  # fmt: skip
    assert trained.reverse_complement  # the Prix Fixe recipe
    assert len(trained.history["loss"]) == 2 and np.isfinite(trained.history["val_loss"]).all()
    codes = data.codes[data.val_idx]
    normalised = trained.predict(codes)
    # the expected bin (raw scale, in 0..17), averaged over both strands (inside the saved
    # model), rescaled by the BiGRU's target normalisation
    raw = predict(_raw_model(trained.model), codes, reverse_complement=True)
    np.testing.assert_allclose(normalised, raw / (2 * data.stats["median"]), rtol=1e-5)
    assert ((raw >= 0) & (raw <= 17)).all()
    # Prix Fixe keeps the epoch of the best validation r of the expected bin, each strand a
    # row: the kept model's r is the history's best
    r = trained.history["val_pearson"]
    assert trained.best_epoch == int(np.argmax(r)) + 1
    strands = [predict(_raw_model(trained.model), c) for c in (codes, _rc(codes))]
    measured = np.concatenate([data.expression[data.val_idx]] * 2)
    got = np.corrcoef(measured, np.concatenate(strands))[0, 1]
    assert got == pytest.approx(max(r), abs=1e-4)
    # evaluate() and the notebook use predict_model for every kind of model
    np.testing.assert_allclose(promoter.predict_model(trained, codes), normalised)
    # `gexnb predict` on the saved file gives the notebook's numbers (strands averaged), in
    # expression units as the notebook's predictions_*.tsv
    seqs = tmp_path / "seqs.txt"
    seqs.write_text("\n".join(data.promoters.sequences(data.val_idx)) + "\n")
    predict_file(tmp_path / "legnet.keras", seqs, tmp_path / "pred.tsv")
    written = pd.read_csv(tmp_path / "pred.tsv", sep="\t")["prediction"].to_numpy()
    np.testing.assert_allclose(written, data.denormalize(normalised), rtol=1e-4)


def _rc(codes):
    from gexnb.data.sequences import reverse_complement

    return reverse_complement(codes, pad="left")


def _raw_model(averaged):
    """The one-strand bin model inside a strand-averaged, rescaled model."""
    import keras

    (rescaled,) = [layer for layer in averaged.layers if isinstance(layer, keras.Model)]
    (net,) = [layer for layer in rescaled.layers if isinstance(layer, keras.Model)] or [rescaled]
    return keras.Model(net.inputs, net.get_layer("output").output)


def test_bad_options_are_one_line_errors(data, tmp_path):
    with pytest.raises(ParameterError, match=r"legnet: unknown hyperparameter\(s\) nonsense"):
        train_sequence_model(data, "legnet", output_dir=tmp_path, params={"nonsense": 1})
    with pytest.raises(ParameterError, match="unknown sequence model 'metformin_bigru'"):
        train_sequence_model(data, "metformin_bigru", output_dir=tmp_path)
    with pytest.raises(ParameterError, match="model_params for unknown model.*dreamcnn"):
        promoter.train_models(data, ["legnet"], output_dir=tmp_path,
                              model_params={"dreamcnn": {}})  # fmt: skip


def test_the_plan_is_checked_before_anything_trains(data):
    """Notebook 02 prints its plan (workload) before training: every bad model option fails
    there, not after the BiGRU has trained (found by a new-user trial)."""
    plan = {"data": data, "epochs": 1}
    with pytest.raises(ParameterError, match=r"unknown sequence model\(s\) 'legnett'; use any "
                       r"of dream_cnn, legnet"):  # fmt: skip
        promoter.workload(**plan, models=["legnett"])
    # a profile's settings of a model that -p models=[dream_cnn] leaves out: a warning only;
    # none with models=[], which turns every model off on purpose (a trial found it noise)
    with pytest.warns(UserWarning, match="model_params of legnet not used: not in models"):
        promoter.workload(**plan, models=["dream_cnn"], model_params={"legnet": {}})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        promoter.workload(**plan, models=[], model_params={"legnet": {}})
    with pytest.raises(ParameterError, match="model_params for unknown model.*legnett"):
        promoter.workload(**plan, models=["legnet"], model_params={"legnett": {}})
    with pytest.raises(ParameterError, match="model_params of legnet: unknown key.*blocks;.*"
                       "block_sizes.*training: epochs"):  # fmt: skip
        promoter.workload(**plan, models=["legnet"],
                          model_params={"legnet": {"blocks": [8]}})  # fmt: skip
    with pytest.raises(ParameterError, match="model_params of kmer_ridge: unknown key.*kmax"):
        promoter.workload(**plan, model_params={"kmer_ridge": {"kmax": 3}})
    with pytest.raises(ParameterError, match="model_params of legnet: unknown key.*length"):
        promoter.workload(**plan, models=["legnet"], model_params={"legnet": {"length": 9}})
    assert "legnet 2 epochs" in promoter.workload(
        **plan,
        models=["legnet"],
        model_params={"legnet": {"epochs": 2, "soft_bins": False}},
    )


def test_test_and_motif_files_are_checked_before_anything_trains(data, tmp_path):
    """A test file with too long sequences, or a motif file of another format (JASPAR), was
    refused only after every model had trained, the test file's error without its name and
    with a 0-based row (found by a new-user trial)."""
    from gexnb.errors import InputError

    jaspar = tmp_path / "motifs.jaspar"
    jaspar.write_text(">MA0001.1 AGL3\nA [ 0 3 79 ]\nC [ 94 75 4 ]\nG [ 1 0 3 ]\nT [ 2 19 11 ]\n")
    with pytest.raises(InputError, match=r"motifs\.jaspar"):
        promoter.workload(data, epochs=1, motif_discovery={"motif_file": str(jaspar)})
    # motif discovery off: the file is not needed
    promoter.workload(data, epochs=1, motif_discovery={"motif_file": str(jaspar), "n_sequences": 0})
    long = tmp_path / "test.tsv"
    long.write_text("sequence\texpression\n" + "ACGT" * 10 + "\t1\n" + "ACGT" * 40 + "\t2\n")
    with pytest.raises(InputError, match=r"test\.tsv, line 3: sequence of 160 bases is longer"):
        promoter.load_test(str(long), length=142)


def test_dream_flags_mark_whole_numbers_as_singletons():
    from gexnb.models.legnet import FLAG_NAMES, dream_flags

    assert FLAG_NAMES == ("reverse_strand", "singleton")
    flags = dream_flags([12.0, 6.98, 0.0, 17.5])
    np.testing.assert_array_equal(flags, [[0, 1], [0, 0], [0, 1], [0, 0]])
    assert flags.dtype == np.float32
    np.testing.assert_array_equal(dream_flags(n=3), np.zeros((3, 2)))
    with pytest.raises(ParameterError, match="needs the measured values"):
        dream_flags()


def _flag_echo(length):
    """A two-input model whose output is 10 x reverse flag + singleton flag (codes ignored)."""
    import keras

    codes = keras.Input((length,), dtype="uint8", name="codes")
    flags = keras.Input((2,), name="extra")
    weighted = keras.layers.Dense(1, use_bias=False, trainable=False, name="w")
    out = weighted(flags)
    zero = keras.layers.Lambda(lambda c: keras.ops.zeros_like(keras.ops.cast(c[:, :1], "float32")))
    model = keras.Model([codes, flags], keras.layers.Add()([out, zero(codes)]))
    weighted.set_weights([np.array([[10.0], [1.0]], "float32")])
    return model


def test_predict_feeds_flags_and_marks_the_reverse_strand(data):
    model = _flag_echo(data.codes.shape[1])
    codes = data.codes[:5]
    np.testing.assert_allclose(predict(model, codes), 0.0)  # default: forward, not singleton
    np.testing.assert_allclose(predict(model, codes, reverse_complement=True), 5.0)  # (0 + 10) / 2
    singles = np.array([[0, 1]] * 5, "float32")
    np.testing.assert_allclose(predict(model, codes, flags=singles), 1.0)
    with pytest.raises(Exception, match=r"flags have shape \(5, 3\)"):
        predict(model, codes, flags=np.zeros((5, 3)))


def test_reverse_complement_training_sets_the_reverse_flag(data):
    from gexnb.data.sequences import reverse_complement
    from gexnb.train.inputs import with_reverse_complements

    codes, y = data.codes[:4], np.arange(4.0)
    flags = np.array([[0, 1], [0, 0], [0, 1], [0, 0]], "float32")
    (both, both_flags), both_y = with_reverse_complements(((codes, flags), y))
    np.testing.assert_array_equal(both[4:], reverse_complement(codes, pad="left"))
    np.testing.assert_array_equal(both_flags[:4], flags)
    np.testing.assert_array_equal(both_flags[4:, 0], 1.0)  # reverse strand
    np.testing.assert_array_equal(both_flags[4:, 1], flags[:, 1])  # singleton kept
    np.testing.assert_array_equal(both_y, np.r_[y, y])


def test_a_model_with_flag_channels_trains_saves_and_reloads(data, tmp_path):
    from gexnb.train import load_model

    params = {**SMALL, "extra_channels": 2}
    trained = train_sequence_model(data, "legnet", output_dir=tmp_path, seed=0, params=params)
    assert len(trained.model.inputs) == 2 and np.isfinite(trained.history["val_loss"]).all()
    codes = data.codes[data.val_idx]
    pred = trained.predict(codes)
    assert pred.shape == (len(codes),) and np.isfinite(pred).all()
    reloaded = load_model(tmp_path / "legnet.keras", compile=False)  # expression units
    np.testing.assert_allclose(predict(reloaded, codes), data.denormalize(pred), rtol=1e-5)
    with pytest.raises(ParameterError, match="extra_channels=1; notebook 02 feeds 2 flags"):
        train_sequence_model(
            data, "legnet", output_dir=tmp_path, params={**SMALL, "extra_channels": 1}
        )


def test_flags_come_from_the_measured_values_of_the_same_rows(data, tmp_path):
    from dataclasses import replace

    from gexnb.models import build
    from gexnb.pipelines.dream_models import _inputs

    net = build("legnet", length=data.codes.shape[1], extra_channels=2, block_sizes=[8, 8, 4])
    promoters = replace(data.promoters, expression=np.round(data.expression * 2) / 2)  # half 0.5s
    rounded = promoter.normalize_targets(promoters)
    rows = rounded.train_idx[::3]
    codes, flags = _inputs(net, rounded, rows, "legnet")
    np.testing.assert_array_equal(codes, rounded.codes[rows])
    whole = rounded.expression[rows] == np.round(rounded.expression[rows])
    assert 0 < whole.mean() < 1
    np.testing.assert_array_equal(flags[:, 1], whole)  # the raw values, not the normalised y
    np.testing.assert_array_equal(flags[:, 0], 0.0)
    counts = replace(data.promoters, expression=np.round(data.expression))
    with pytest.raises(ParameterError, match="every measured value is a whole number"):
        _inputs(net, promoter.normalize_targets(counts), rows, "legnet")


def test_a_flags_model_needs_its_flags(data, tmp_path):
    from gexnb.errors import InputError
    from gexnb.models import build
    from gexnb.train import fit

    net = build("legnet", length=data.codes.shape[1], extra_channels=2, block_sizes=[8, 8, 4])
    with pytest.raises(InputError, match=r"give x as \(codes, flags\)"):
        fit(net, data.split("train"), data.split("val"), output_dir=tmp_path,
            epochs=1, verbose=0)  # fmt: skip
