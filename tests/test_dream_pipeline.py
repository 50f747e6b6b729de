"""Notebook 02's comparison models: LegNet / DREAM-CNN trained beside the BiGRU."""

from __future__ import annotations

import numpy as np
import pytest

from gexnb.data.promoters import load_promoters
from gexnb.errors import ParameterError
from gexnb.pipelines import promoter
from gexnb.pipelines.dream_models import COMPARE_MODELS, train_sequence_model
from gexnb.train import predict

SMALL = {"block_sizes": [8, 8, 4], "kernel_size": 3, "epochs": 2, "batch_size": 64}


@pytest.fixture(scope="module")
def data():
    return promoter.normalize_targets(load_promoters("", n_synthetic=300, length=120, seed=1))


def test_compare_models_come_from_the_registry():
    assert set(COMPARE_MODELS) == {"legnet", "dream_cnn"}


@pytest.mark.parametrize("soft_bins", [True, False])
def test_bin_model_predicts_on_the_normalised_scale(data, tmp_path, soft_bins):
    trained = train_sequence_model(data, "legnet", output_dir=tmp_path, seed=0,
                                   params={**SMALL, "soft_bins": soft_bins})  # fmt: skip
    assert trained.reverse_complement  # the Prix Fixe recipe
    assert len(trained.history["loss"]) == 2 and np.isfinite(trained.history["val_loss"]).all()
    codes = data.codes[data.val_idx]
    normalised = trained.predict(codes)
    # the expected bin (raw scale, in 0..17) rescaled by the BiGRU's target normalisation
    net = trained.model
    raw = predict(_raw_model(net), codes, reverse_complement=True)
    np.testing.assert_allclose(normalised, raw / (2 * data.stats["median"]), rtol=1e-5)
    assert ((raw >= 0) & (raw <= 17)).all()
    assert (tmp_path / "legnet.keras").is_file()
    # evaluate() and the notebook use predict_model for every kind of model
    np.testing.assert_allclose(promoter.predict_model(trained, codes), normalised)


def _raw_model(net):
    import keras

    return keras.Model(net.inputs, net.get_layer("output").output)


def test_bad_options_are_one_line_errors(data, tmp_path):
    with pytest.raises(ParameterError, match="model_params of legnet"):
        train_sequence_model(data, "legnet", output_dir=tmp_path, params={"nonsense": 1})
    with pytest.raises(ParameterError, match="unknown sequence model 'metformin_bigru'"):
        train_sequence_model(data, "metformin_bigru", output_dir=tmp_path)
    with pytest.raises(ParameterError, match="model_params for models not compared: dream_cnn"):
        promoter.train_models(data, ["legnet"], output_dir=tmp_path,
                              model_params={"dream_cnn": {}})  # fmt: skip
