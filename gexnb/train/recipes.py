"""Multi-phase training recipes built on :func:`gexnb.train.fit`.

- :data:`METFORMIN_121`: the training recipe of DREAM 2022 team Metformin-121 (Rafi et
  al., Nat Biotechnol 2024): MSE, Adam at 1e-3, batch 2048, 30 epochs.
- :data:`PRIX_FIXE`: the Prix Fixe trainer of the DREAM 2022 winners' models (AdamW,
  one-cycle, reverse-complement augmentation).
- :func:`dgex_recipe`: the training recipe of D-GEX (Chen et al. 2016, the authors'
  ``H1/H2/H3_*.py`` scripts).
- :func:`train_egex`: the three phases of E-GEX (Bhukya and Ashok, IAJIT, seed 001):
  autoencoder of the targets, landmarks -> code mapper, end-to-end fine-tuning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gexnb.errors import ParameterError
from gexnb.models.landmark import EGEX
from gexnb.train.config import PREDICT_BATCH_SIZE, TrainingConfig
from gexnb.train.fit import fit

__all__ = ["EGEXResult", "train_egex", "METFORMIN_121", "PRIX_FIXE", "dgex_recipe"]

#: Training recipe of DREAM 2022 team Metformin-121 (Rafi et al. 2024): MSE loss, Adam with
#: learning rate 1e-3, batch 2048, 30 epochs, in float32 as the team trained (the best-
#: validation weights are kept by fit). ``precision="mixed_float16"`` is faster on a GPU and
#: gexnb's departure, not the team's.
METFORMIN_121 = TrainingConfig(
    epochs=30,
    batch_size=2048,
    learning_rate=1e-3,
    loss="mse",
    optimizer="adam",
    precision="float32",
)


#: The training recipe of the Prix Fixe trainer for the DREAM 2022 winners' models (Rafi et
#: al. 2024; ``prixfixe/autosome/trainer.py``, as autosome.org trained LegNet): AdamW with
#: weight decay 0.01, one-cycle learning rate peaking at 0.005 (from 0.005 / 25, 30 % of the
#: steps rising) with ``beta_1`` cycling 0.95 -> 0.85 -> 0.95 (PyTorch's ``OneCycleLR``
#: defaults: :class:`gexnb.train.optimizers.OneCycleAdamW`), every sequence and its reverse
#: complement, 80 epochs of batch 1024 (the authors' ``DREAMNets_BuildModel_Train_and_
#: Predict.ipynb``: "replace with 80", "replace with 1024"; gexnb's epoch is every training
#: row, theirs a set number of batches, which they also told to make every row), in float32
#: as both trainers ran (PyTorch, no mixed precision). The soft-bin loss is the model's (see
#: :func:`gexnb.pipelines.dream_models.train_sequence_model`). A model's ``model_params``
#: override any of it (the quick and real profiles set smaller epochs and batches).
#:
#: The epoch kept is the one of the highest validation Pearson r, both strands as separate
#: rows (``monitor="val_pearson"``, as Prix Fixe's trainer).
#:
#: Departures from the authors' code (found by reading it; stated in the README): LegNet's
#: own submission trained on all 6,739,258 rows without validation and kept its last epoch;
#: LegNet's own ``train.py`` made an epoch 1,000 batches (80,000 steps, about 6 passes over
#: the strand-doubled data), not a full pass; the sequences are 142 codes, the BiGRU's width,
#: left-padded with zeros (the authors: 150, with 40 nt of the real plasmid before the
#: adapter), and a reverse complement keeps its padding on the left (theirs, the plasmid
#: flank moved to the 3' end).
PRIX_FIXE = TrainingConfig(
    epochs=80,
    batch_size=1024,
    optimizer="adamw",
    weight_decay=0.01,
    learning_rate=0.005,
    schedule="one_cycle",
    reverse_complement=True,
    precision="float32",
    monitor="val_pearson",
)


def dgex_recipe(n_hidden_layers: int, *, epochs: int = 200) -> TrainingConfig:
    """The training recipe of D-GEX (Chen et al. 2016 [1]_), from the authors' pylearn2 scripts.

    Squared error summed over the outputs and averaged over the batch (pylearn2's ``Linear``
    output cost; :func:`gexnb.train.losses.summed_squared_error`: Keras's ``"mse"`` averages
    over the outputs, which divides every gradient by the 4,760 outputs of a chunk), SGD
    with momentum 0.5, batch 200,
    learning rate 5e-4 with one hidden layer and 3e-4 with two or three (``H1``/``H2``/``H3``
    scripts), the weights of every layer above the first learning 3 times faster
    (``W_lr_scale=3.0``; biases and the first layer at 1), and the learning rate times 0.9
    after every epoch whose training MAE (5,000 fixed training rows) rose, never below 1e-5.
    The scripts ran up to 1,000 epochs and kept the model of the best validation MAE;
    ``gexnb.train.fit`` keeps the best validation loss (the summed squared error): a stated
    departure.

    Parameters
    ----------
    n_hidden_layers
        1, 2 or 3.
    epochs
        Training epochs.

    Returns
    -------
    TrainingConfig
        The recipe's settings, for :func:`gexnb.train.fit` (``config=``).

    Raises
    ------
    ParameterError
        If ``n_hidden_layers`` is not 1, 2 or 3.

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    """
    if int(n_hidden_layers) not in (1, 2, 3):
        raise ParameterError(f"D-GEX has 1, 2 or 3 hidden layers, got {n_hidden_layers}")
    return TrainingConfig(
        epochs=int(epochs),
        batch_size=200,
        learning_rate=5e-4 if int(n_hidden_layers) == 1 else 3e-4,
        loss="summed_squared_error",
        optimizer="sgd",
        momentum=0.5,
        lr_scales={"*H[1-9]/kernel": 3.0, "*outputs/kernel": 3.0},
        decay_on_rise=0.9,
        min_learning_rate=1e-5,
    )


@dataclass
class EGEXResult:
    """Outcome of :func:`train_egex`: the end-to-end model and one history per phase.

    Parameters
    ----------
    model, histories, output_dir
        See Attributes.

    Attributes
    ----------
    model
        The trained :class:`~gexnb.models.landmark.EGEX` (the object given to
        :func:`train_egex`).
    histories
        Phase (``autoencoder``, ``mapper``, ``end_to_end``) -> metric name -> per-epoch
        values; a phase trained for 0 epochs is absent.
    output_dir
        Folder with one sub-folder per phase.
    """

    model: EGEX
    histories: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    output_dir: Path | None = None


def _fit_phase(
    model: keras.Model,
    train: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray] | None,
    *,
    output_dir: Path,
    config: TrainingConfig,
) -> dict[str, list[float]]:
    result = fit(model, train, validation, output_dir=str(output_dir), config=config)
    if result.model is not model:  # fit may hand back a restored copy: keep our shared layers
        model.set_weights(result.model.get_weights())
    return {k: [float(v) for v in vals] for k, vals in dict(result.history).items()}


def train_egex(
    model: EGEX,
    train: tuple[Any, Any],
    validation: tuple[Any, Any] | None = None,
    *,
    output_dir: str | os.PathLike,
    config: TrainingConfig | None = None,
    **settings: Any,
) -> EGEXResult:
    """Train E-GEX [1]_ in its three phases with :func:`gexnb.train.fit`.

    The seed's copy of the paper (its abstract) names a deep autoencoder and an MLP but no
    training procedure: the three phases below are gexnb's reading of it (see
    :class:`~gexnb.models.landmark.EGEX`).

    1. ``autoencoder``: ``targets -> decoder(encoder(targets))`` on ``(Y, Y)``.
    2. ``mapper``: ``landmarks -> code`` on ``(X, encoder(Y))``; the encoder is frozen (it only
       produces the labels) and the decoder is not involved.
    3. ``end_to_end``: ``decoder(mapper(X))`` on ``(X, Y)``, mapper and decoder trainable,
       learning rate ``learning_rate * finetune_lr_factor``.

    Parameters
    ----------
    model
        An :class:`~gexnb.models.landmark.EGEX` (``gexnb.models.build("egex", ...)``).
    train, validation
        ``(X, Y)`` float arrays (landmarks, targets).
    output_dir
        Each phase writes into ``<output_dir>/<phase>``.
    config, **settings
        Training settings (:class:`TrainingConfig` and overrides of its fields). ``epochs``
        is the epochs of every phase, or a triple (autoencoder, mapper, end-to-end);
        ``early_stopping`` applies per phase (each keeps its best-validation weights);
        phase 3 trains at ``learning_rate * finetune_lr_factor``.

    Returns
    -------
    EGEXResult
        The trained model (the same object) and the histories keyed ``autoencoder``,
        ``mapper``, ``end_to_end``.

    References
    ----------
    .. [1] R. Bhukya and A. Ashok, "Gene expression prediction using deep neural networks",
       The International Arab Journal of Information Technology (IAJIT) (seed 001; the copy
       gives no volume or year).
    """
    if not isinstance(model, EGEX):
        raise ParameterError("train_egex needs an EGEX model (gexnb.models.build('egex', ...))")
    cfg = TrainingConfig.from_mapping(settings, base=config)
    epochs = cfg.epochs
    phases = (
        [int(e) for e in epochs]
        if isinstance(epochs, (tuple, list, np.ndarray))
        else [int(epochs)] * 3
    )
    if len(phases) != 3 or min(phases) < 0:
        raise ParameterError(f"epochs must be an int or three non-negative ints, got {epochs!r}")
    x, y = (np.asarray(a, dtype="float32") for a in train)
    val = (
        None
        if validation is None
        else (
            np.asarray(validation[0], dtype="float32"),
            np.asarray(validation[1], dtype="float32"),
        )
    )
    out = Path(output_dir)
    histories: dict[str, dict[str, list[float]]] = {}

    def phase(epochs: int, lr: float) -> TrainingConfig:
        return cfg.replace(epochs=epochs, learning_rate=lr)

    if phases[0]:
        ae = model.autoencoder()
        histories["autoencoder"] = _fit_phase(
            ae,
            (y, y),
            None if val is None else (val[1], val[1]),
            output_dir=out / "autoencoder",
            config=phase(phases[0], cfg.learning_rate),
        )
    if phases[1]:
        model.encoder.trainable = False
        codes = np.asarray(model.encoder.predict(y, batch_size=PREDICT_BATCH_SIZE, verbose=0))
        val_codes = (
            None
            if val is None
            else (
                val[0],
                np.asarray(model.encoder.predict(val[1], batch_size=PREDICT_BATCH_SIZE, verbose=0)),
            )
        )
        histories["mapper"] = _fit_phase(
            model.mapper,
            (x, codes),
            val_codes,
            output_dir=out / "mapper",
            config=phase(phases[1], cfg.learning_rate),
        )
    if phases[2]:
        model.encoder.trainable = False
        histories["end_to_end"] = _fit_phase(
            model,
            (x, y),
            val,
            output_dir=out / "end_to_end",
            config=phase(phases[2], cfg.learning_rate * float(cfg.finetune_lr_factor)),
        )
    return EGEXResult(model=model, histories=histories, output_dir=out)
