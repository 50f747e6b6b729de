"""TrainingConfig: one default per training setting, unknown settings refused everywhere."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gexnb.errors import ParameterError  # noqa: E402
from gexnb.train import METFORMIN_121, TrainingConfig, fit  # noqa: E402


def test_defaults_are_stated_once_and_overrides_refuse_unknown_names():
    cfg = TrainingConfig()
    assert (cfg.optimizer, cfg.learning_rate, cfg.loss) == ("adam", 1e-3, "mse")
    changed = cfg.replace(epochs=3, loss="mae")
    assert (changed.epochs, changed.loss, changed.batch_size) == (3, "mae", cfg.batch_size)
    assert cfg.epochs == 10  # frozen: replace returns a copy
    with pytest.raises(ParameterError, match=r"unknown training setting\(s\) epoch; valid: epochs"):
        cfg.replace(epoch=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.epochs = 4  # type: ignore[misc]
    assert TrainingConfig.from_mapping({"batch_size": 7}, base=METFORMIN_121).epochs == 30


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"precision": "fp8"}, "precision"),
        ({"distribution": "everywhere"}, "distribution"),
        ({"early_stopping": 0}, "early_stopping"),
        ({"learning_rate": -1.0}, "learning_rate"),
        # found by an API fault sweep: used truncated, or bare TypeErrors deep in NumPy/Keras
        ({"batch_size": 2.5}, r"batch_size must be a whole number >= 1, got 2\.5"),
        ({"batch_size": None}, "batch_size must be a whole number"),
        ({"early_stopping": 2.7}, "early_stopping must be a whole number >= 1 or None"),
        ({"early_stopping": False}, "early_stopping must be a whole number"),
        ({"seed": -1}, r"seed must be a whole number in 0\.\.4294967295 or None, got -1"),
        ({"seed": "abc"}, "seed must be a whole number"),
        ({"learning_rate": None}, "learning_rate must be a finite number >= 0, got None"),
        ({"learning_rate": "fast"}, "learning_rate must be a finite number"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"min_learning_rate": -1}, "min_learning_rate must be a finite number >= 0"),
        ({"finetune_lr_factor": -1}, "finetune_lr_factor must be a finite number > 0"),
        ({"verbose": "loud"}, "verbose must be 'auto', 0, 1 or 2, got 'loud'"),
        ({"reverse_complement": "yes"}, "reverse_complement must be true or false"),
        ({"decay_rate": 0.0, "decay_steps": 5}, "decay_rate must be a finite number > 0"),
        ({"momentum": 5.0}, r"momentum must be in \[0, 1\], got 5\.0"),
        ({"loss": "bogus"}, "loss: unknown loss 'bogus' .a Keras loss such as 'mse'"),
    ],
)
def test_invalid_settings(settings, message):
    with pytest.raises(ParameterError, match=message):
        TrainingConfig(**settings)


def test_optimizer_of_the_config():
    sgd = TrainingConfig(optimizer="sgd", learning_rate=0.5, momentum=0.25).make_optimizer()
    assert isinstance(sgd, keras.optimizers.SGD) and float(sgd.momentum) == 0.25
    assert float(keras.ops.convert_to_numpy(sgd.learning_rate)) == pytest.approx(0.5)
    nadam = TrainingConfig(optimizer="nadam").make_optimizer(learning_rate=0.1)
    assert isinstance(nadam, keras.optimizers.Nadam)


def test_fit_refuses_an_unknown_setting(tmp_path):
    with pytest.raises(ParameterError, match="unknown training setting"):
        fit(lambda: None, ([[0.0]], [0.0]), output_dir=tmp_path, epohcs=2)


def test_settings_are_given_by_name():
    """TrainingConfig(10, 32, ...) read 21 fields by position: a slip of order set the wrong one
    (found by a signature audit). Both setting objects take keywords only."""
    from gexnb.data.expression import DataChecks

    with pytest.raises(TypeError):
        TrainingConfig(10, 32)  # type: ignore[misc]
    with pytest.raises(TypeError):
        DataChecks("auto")  # type: ignore[misc]
    assert TrainingConfig(epochs=10, batch_size=32).epochs == 10


def test_the_teams_recipe_trains_in_float32():
    """METFORMIN_121 left precision at 'auto' (mixed float16 on a GPU) while notebook 02's
    paper profile says the team trained in float32 (found by a defaults audit)."""
    assert METFORMIN_121.precision == "float32"
    assert TrainingConfig().precision == "auto"  # gexnb's own default, labelled as such


def test_the_prix_fixe_recipe_fixes_epochs_and_batch():
    """LegNet and DREAM-CNN without epochs/batch_size in model_params trained TrainingConfig's
    generic 10 epochs of batch 32 (docs audit): the authors' notebook says 80 and 1024."""
    from gexnb.train import PRIX_FIXE

    assert (PRIX_FIXE.epochs, PRIX_FIXE.batch_size) == (80, 1024)
    assert (PRIX_FIXE.optimizer, PRIX_FIXE.schedule, PRIX_FIXE.weight_decay) == (
        "adamw",
        "one_cycle",
        0.01,
    )


def test_settings_as_yaml_and_keras_give_them_are_taken():
    """PyYAML reads learning_rate: 1e-3 as the text '1e-3'; Keras takes verbose=True (a
    review found both refused by the new checks)."""
    config = TrainingConfig(learning_rate="1e-3", verbose=True, reverse_complement=np.True_)
    assert (config.learning_rate, config.verbose, config.reverse_complement) == (1e-3, 1, True)
    assert isinstance(config.reverse_complement, bool)


def test_make_optimizer_refuses_a_negative_rate():
    """An Adam with learning rate -1 was built (a re-run of the API fault sweep)."""
    from gexnb.errors import ParameterError
    from gexnb.train import make_optimizer

    with pytest.raises(ParameterError, match=r"learning_rate must be in \[0, inf\], got -1"):
        make_optimizer("adam", learning_rate=-1)
