"""Multi-phase training recipes built on :func:`gexnb.train.fit`.

- :func:`train_egex`: the three phases of E-GEX (Bhukya and Ashok, IAJIT, seed 001):
  autoencoder of the targets, landmarks -> code mapper, end-to-end fine-tuning.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gexnb.errors import ParameterError
from gexnb.models.landmark import EGEX
from gexnb.train.fit import fit
from gexnb.train.optimizers import make_optimizer

__all__ = ["EGEXResult", "train_egex"]


@dataclass
class EGEXResult:
    """Outcome of :func:`train_egex`: the end-to-end model and one history per phase."""

    model: EGEX
    histories: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    output_dir: Path | None = None


def _fit_phase(
    model: keras.Model,
    train: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray] | None,
    *,
    output_dir: Path,
    optimizer: Any,
    fit_kwargs: dict[str, Any],
) -> dict[str, list[float]]:
    opt = optimizer() if callable(optimizer) else optimizer
    result = fit(model, train, validation, optimizer=opt, output_dir=str(output_dir), **fit_kwargs)
    if result.model is not model:  # fit may hand back a restored copy: keep our shared layers
        model.set_weights(result.model.get_weights())
    return {k: [float(v) for v in vals] for k, vals in dict(result.history).items()}


def train_egex(
    model: EGEX,
    train: tuple[Any, Any],
    validation: tuple[Any, Any] | None = None,
    *,
    epochs: int | Sequence[int] = 10,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    finetune_lr_factor: float = 0.1,
    optimizer: str = "adam",
    loss: str = "mae",
    output_dir: str | os.PathLike,
    seed: int | None = None,
    early_stopping: int | None = None,
    verbose: Any = "auto",
    checkpoint_seconds: float = 0.0,
) -> EGEXResult:
    """Train E-GEX in its three phases with :func:`gexnb.train.fit`.

    1. ``autoencoder``: ``targets -> decoder(encoder(targets))`` on ``(Y, Y)``.
    2. ``mapper``: ``landmarks -> code`` on ``(X, encoder(Y))``; the encoder is frozen (it only
       produces the labels) and the decoder is not involved.
    3. ``end_to_end``: ``decoder(mapper(X))`` on ``(X, Y)``, mapper and decoder trainable,
       learning rate ``learning_rate * finetune_lr_factor``.

    Parameters
    ----------
    model
        An :class:`EGEX` (``gexnb.models.build("egex", ...)``).
    train, validation
        ``(X, Y)`` float arrays (landmarks, targets).
    epochs
        Epochs of every phase, or a triple (autoencoder, mapper, end-to-end).
    batch_size, loss, seed, early_stopping, verbose, checkpoint_seconds
        Passed to :func:`gexnb.train.fit` (``early_stopping``: patience in epochs, per phase;
        each phase keeps its best-validation weights).
    learning_rate, finetune_lr_factor, optimizer
        Optimizer name (``"adam"``, ``"nadam"``, ``"sgd"``) and learning rate of phases 1-2;
        phase 3 uses ``learning_rate * finetune_lr_factor``.
    output_dir
        Each phase writes into ``<output_dir>/<phase>``.

    Returns
    -------
    EGEXResult
        The trained model (the same object) and the histories keyed ``autoencoder``,
        ``mapper``, ``end_to_end``.
    """
    if not isinstance(model, EGEX):
        raise ParameterError("train_egex needs an EGEX model (gexnb.models.build('egex', ...))")
    phases = [int(epochs)] * 3 if np.isscalar(epochs) else [int(e) for e in epochs]
    if len(phases) != 3 or min(phases) < 0:
        raise ParameterError(f"epochs must be an int or three non-negative ints, got {epochs!r}")
    x, y = (np.asarray(a, dtype="float32") for a in train)
    val = None if validation is None else tuple(np.asarray(a, dtype="float32") for a in validation)
    out = Path(output_dir)
    common = {
        "batch_size": int(batch_size),
        "loss": loss,
        "seed": seed,
        "verbose": verbose,
        "early_stopping": early_stopping,
        "checkpoint_seconds": float(checkpoint_seconds),
    }
    histories: dict[str, dict[str, list[float]]] = {}

    def opt(lr: float) -> Any:
        return lambda: make_optimizer(optimizer, learning_rate=lr)

    if phases[0]:
        ae = model.autoencoder()
        histories["autoencoder"] = _fit_phase(
            ae,
            (y, y),
            None if val is None else (val[1], val[1]),
            output_dir=out / "autoencoder",
            optimizer=opt(learning_rate),
            fit_kwargs={**common, "epochs": phases[0]},
        )
    if phases[1]:
        model.encoder.trainable = False
        codes = np.asarray(model.encoder.predict(y, batch_size=2048, verbose=0))
        val_codes = (
            None
            if val is None
            else (val[0], np.asarray(model.encoder.predict(val[1], batch_size=2048, verbose=0)))
        )
        histories["mapper"] = _fit_phase(
            model.mapper,
            (x, codes),
            val_codes,
            output_dir=out / "mapper",
            optimizer=opt(learning_rate),
            fit_kwargs={**common, "epochs": phases[1]},
        )
    if phases[2]:
        model.encoder.trainable = False
        histories["end_to_end"] = _fit_phase(
            model,
            (x, y),
            val,
            output_dir=out / "end_to_end",
            optimizer=opt(learning_rate * float(finetune_lr_factor)),
            fit_kwargs={**common, "epochs": phases[2]},
        )
    return EGEXResult(model=model, histories=histories, output_dir=out)
