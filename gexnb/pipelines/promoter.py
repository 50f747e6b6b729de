"""Notebook 02 workflow: promoter sequence -> expression with the Metformin-121 BiGRU.

The DREAM Challenge 2022 analysis of team Metformin-121 (Rafi et al., Nat Biotechnol 2024;
seed ``000``): read (or synthesise) sequences, encode them as uint8 codes, normalise the target
as ``y / (2 median(y_train))``, split, train the BiGRU with :func:`gexnb.train.fit`, fit the
k-mer ridge baseline on the same split, and score both on validation and on an optional test
file (Pearson/Spearman per DREAM test subset, weighted DREAM scores).
"""

from __future__ import annotations

import inspect
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb import metrics as gm
from gexnb import train
from gexnb.data import sequences as seqs
from gexnb.data.expression.normalize import AUTO_LOG_ABOVE
from gexnb.data.promoters import PromoterSet, load_promoters, rows_in
from gexnb.data.synthetic import PROMOTER_MOTIFS, planted_positions
from gexnb.errors import InputError, ParameterError
from gexnb.explain import MotifResult, attention_weights, discover_motifs
from gexnb.explain.motifs import MATCH_SIMILARITY
from gexnb.io import ensure_output_dir, write_metrics, write_table_atomic
from gexnb.models import build
from gexnb.models.baselines import MeanBaseline
from gexnb.models.kmer import KmerRidge
from gexnb.pipelines.dream_models import (
    SequenceModel,
    check_bin_range,
    check_plan,
    save_in_expression_units,
    train_models,
)
from gexnb.pipelines.params import EfficiencyPlan, with_defaults
from gexnb.train.config import PREDICT_BATCH_SIZE
from gexnb.train.recipes import PRIX_FIXE

__all__ = [
    "workload",
    "train_models",
    "PromoterData",
    "normalize_targets",
    "train_bigru",
    "BiGRUResult",
    "fit_kmer",
    "fit_mean",
    "predict_model",
    "evaluate",
    "load_test",
    "score_test",
    "attention_by_position",
    "planted_starts",
    "planted_attention",
    "find_motifs",
    "motif_options",
    "MOTIF_OPTIONS",
    "RECOVERED_SIMILARITY",
    "SYNTHETIC_OPTIONS",
]

#: Notebook 02's ``synthetic`` options -> the loader parameter whose default completes them
#: (:func:`gexnb.data.synthetic.synthetic_options`).
SYNTHETIC_OPTIONS = {"n_sequences": (load_promoters, "n_synthetic")}

BIGRU = "metformin_bigru"
KMER = "kmer_ridge"

#: Notebook 02's ``target_normalization``: how measured expression becomes the training
#: target (:func:`gexnb.data.sequences.normalize_target`), with the BiGRU output activation
#: that can reach it. ``"half_median"`` is team Metformin-121's ``y / (2 median(y_train))``
#: under a sigmoid, made for DREAM's non-negative 0-17 scale; ``"zscore"``
#: (``(y - mean) / sd``, linear output) is gexnb's choice for data on any other scale, such
#: as log expression ratios centred on 0.
TARGET_NORMALIZATIONS = {"half_median": "sigmoid", "zscore": "linear"}
DEFAULT_TARGET_NORMALIZATION = "half_median"
#: Share of the training values ``half_median`` may leave outside the sigmoid's reach
#: (below 0 or above 2 x median) before it is refused.
HALF_MEDIAN_TOLERANCE = 0.01


@dataclass
class PromoterData:
    """A promoter set with its targets normalised for training (Metformin-121 recipe).

    Parameters
    ----------
    promoters, y, stats
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    promoters
        The :class:`gexnb.data.promoters.PromoterSet` (codes, raw expression, split).
    y
        Normalised float32 targets (``y / (2 median(y_train))`` by default).
    stats
        Normalisation statistics (from the training rows) for :meth:`denormalize`.
    """

    promoters: PromoterSet
    y: np.ndarray
    stats: dict[str, Any]

    @property
    def codes(self) -> np.ndarray:
        """uint8 codes ``(n, length)``."""
        return self.promoters.codes

    @property
    def expression(self) -> np.ndarray:
        """Measured expression on the input file's scale."""
        return self.promoters.expression

    @property
    def train_idx(self) -> np.ndarray:
        """Training rows."""
        return self.promoters.splits["train"]

    @property
    def val_idx(self) -> np.ndarray:
        """Validation rows."""
        return self.promoters.splits["val"]

    @property
    def test_idx(self) -> np.ndarray:
        """Held-out rows of the training file (empty unless the split's test fraction > 0)."""
        return self.promoters.splits["test"]

    @property
    def synthetic(self) -> bool:
        """Whether the sequences are the synthetic default (planted motifs known)."""
        return self.promoters.synthetic

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, y)`` of the ``"train"``, ``"val"`` or ``"test"`` rows."""
        idx = self.promoters.splits[name]
        return self.codes[idx], self.y[idx]

    def denormalize(self, y_norm: np.ndarray) -> np.ndarray:
        """Back to the expression scale of the input file."""
        return seqs.denormalize_target(y_norm, self.stats)


def normalize_targets(
    promoters: PromoterSet,
    *,
    target_normalization: str = DEFAULT_TARGET_NORMALIZATION,
    check_range: bool = True,
) -> PromoterData:
    """Normalise a promoter set's expression for training, statistics from its training rows.

    Parameters
    ----------
    promoters
        From :func:`gexnb.data.promoters.load_promoters`.
    target_normalization
        One of :data:`TARGET_NORMALIZATIONS`: the team's ``"half_median"``
        (``y / (2 median(y_train))``, Metformin-121) by default, or ``"zscore"``.
    check_range
        Refuse ``"half_median"`` on data it cannot fit (below). The data-efficiency curve
        turns it off for its subsets of training rows, checked once as a whole.

    Returns
    -------
    PromoterData
        The promoter set with its normalised targets and the statistics.

    Raises
    ------
    InputError
        ``"half_median"`` on data its sigmoid target cannot represent: a median <= 0, or more
        than :data:`HALF_MEDIAN_TOLERANCE` of the training values below 0 or above
        2 x median (e.g. log ratios centred on 0); the message names ``"zscore"``.
    """
    if target_normalization not in TARGET_NORMALIZATIONS:
        raise ParameterError(
            f"target_normalization must be one of {', '.join(TARGET_NORMALIZATIONS)}, "
            f"got {target_normalization!r}"
        )
    raw = promoters.expression
    train_values = raw[promoters.splits["train"]]
    if target_normalization == "half_median" and check_range:
        _check_half_median(train_values, None if promoters.synthetic else promoters.source)
    with warnings.catch_warnings():  # the range was checked above, or left alone on purpose
        warnings.filterwarnings("ignore", message="half_median normalisation maps")
        _, stats = seqs.normalize_target(train_values, method=target_normalization)
        y, _ = seqs.normalize_target(raw, stats=stats)
    return PromoterData(promoters, y, stats)


def _check_half_median(values: np.ndarray, source: str | None) -> None:
    """Refuse the team's ``y / (2 median)`` target where the sigmoid cannot reach the data."""
    median = float(np.median(values))
    outside = float(np.mean((values < 0) | (values > 2 * median))) if median > 0 else 1.0
    if outside > HALF_MEDIAN_TOLERANCE:
        why = "not positive" if median <= 0 else f"{outside:.0%} below 0 or above 2 x median"
        fix = "use target_normalization: zscore"
        if values.min() >= 0 and values.max() > AUTO_LOG_ABOVE:
            # counts or another linear scale: z-scores of them are ruled by the largest
            # values (the trial's model predicted counts of -1,571)
            fix = (
                f"they look like counts or another linear scale (none below 0, some above "
                f"{AUTO_LOG_ABOVE:g}, as the expression notebooks' transform: auto reads "
                "them): write their logs in the file (e.g. log2(x + 1)), then " + fix
            )
        raise InputError(
            f"target_normalization 'half_median' (the team's y / (2 median) under a sigmoid, "
            f"for DREAM's non-negative 0-17 scale) cannot fit these data: the training values "
            f"range {values.min():.3g} to {values.max():.3g} (median {median:.3g}, {why}); "
            f"{fix}",
            path=source,
        )


def workload(
    data: PromoterData,
    *,
    epochs: int,
    models: Sequence[str] = (),
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    motif_discovery: Mapping[str, Any] | None = None,
    data_efficiency: Mapping[str, Any] | None = None,
) -> str:
    """The planned work of notebook 02, printed before it starts (with the motif discovery of
    :func:`motif_options` and the data-efficiency curve's extra fits,
    :func:`gexnb.pipelines.efficiency.curve`).

    Parameters
    ----------
    data
        The promoter data (sizes; the bin range of the models is checked on its training
        values, :func:`gexnb.pipelines.dream_models.check_bin_range`).
    epochs
        Training epochs of the BiGRU.
    models, model_params
        Deep sequence models compared and their parameters (checked with
        :func:`gexnb.pipelines.dream_models.check_plan`).
    motif_discovery
        Notebook 02's ``motif_discovery`` mapping (:func:`motif_options`); its
        ``motif_file`` is read now, so that a file of another format is refused before any
        training.
    data_efficiency
        Notebook 02's ``data_efficiency`` mapping
        (:meth:`gexnb.pipelines.params.EfficiencyPlan.from_mapping`).

    Returns
    -------
    str
        One line: the training sequences and each training planned.
    """
    check_plan(models, model_params)
    motifs = motif_options(motif_discovery)
    if motifs["n_sequences"] and motifs["motif_file"]:  # another format: refused now
        from gexnb.explain.motifs import read_meme_motifs

        read_meme_motifs(motifs["motif_file"])
    # a bin read-out on data off DREAM's 0-17 scale, flags on whole numbers: refused now
    check_bin_range(models, model_params, data.expression[data.train_idx])
    n = len(data.train_idx)
    parts = [f"BiGRU {epochs} epochs"]
    for name in models:
        params = dict((model_params or {}).get(name, {}))
        parts.append(f"{name} {params.get('epochs', PRIX_FIXE.epochs)} epochs (x2 strands)")
    parts.append("k-mer ridge")
    n_motif = int(motifs["n_sequences"])
    tail = f"; motif discovery on {min(n_motif, len(data.val_idx))} sequences" if n_motif else ""
    text = f"on {n:,} training sequences: {', '.join(parts)}{tail}"
    plan = EfficiencyPlan.from_mapping(data_efficiency)
    if plan.fractions:
        points = len(plan.points(0)) - (1.0 in plan.fractions)  # the 100 % point of seed 1 re-used
        share = plan.seeds * sum(plan.fractions) - (1.0 in plan.fractions)
        text += (
            f"; data-efficiency curve: {len(plan.fractions)} sizes x {plan.seeds} seeds, "
            f"{points} more trainings of every model (about {share:.2g} x the training above)"
        )
    return text


@dataclass
class BiGRUResult(train.TrainResult):
    """:func:`train_bigru`'s outcome: :class:`gexnb.train.TrainResult` (``model``,
    ``history``, ``best_epoch``, ``output_dir``, ``replicas``) with the training time and the
    model as notebook 02 scores it.

    Parameters
    ----------
    model, history, best_epoch, output_dir, replicas
        See :class:`gexnb.train.TrainResult`.
    fit_seconds, trained
        See Attributes.

    Attributes
    ----------
    fit_seconds
        Wall-clock seconds of the training (checkpoints and validation included).
    trained
        The same model as a :class:`gexnb.pipelines.dream_models.SequenceModel`, what
        :func:`evaluate` and :func:`score_test` score.
    """

    fit_seconds: float = 0.0
    trained: SequenceModel | None = None


def train_bigru(
    data: PromoterData,
    *,
    output_dir: str | os.PathLike,
    n_layers: int | None = None,
    units: int | None = None,
    dropout: float | None = None,
    config: Any = None,
    resume: bool = False,
    recalibrate_batchnorm: bool = True,
    **settings: Any,
) -> BiGRUResult:
    """Train the Metformin-121 BiGRU on ``data`` (MSE, Adam, best validation weights).

    The output activation follows the target normalisation (:data:`TARGET_NORMALIZATIONS`:
    the team's sigmoid for ``half_median``, linear for ``zscore``).

    Parameters
    ----------
    data
        Codes, normalised targets and split (:func:`normalize_targets`).
    output_dir
        Checkpoints and history go to ``output_dir/bigru``; the final model (best validation
        weights) is saved as ``output_dir/metformin_bigru.keras``.
    n_layers, units, dropout
        Architecture (:func:`gexnb.models.promoter.build_metformin_bigru`): stacked
        bidirectional GRU layers, units per direction, dropout rate before the output layer;
        None: the builder's default (the team's 8, 64 and 0.2).
    config
        A :class:`gexnb.train.TrainingConfig`; the team's recipe,
        :data:`gexnb.train.METFORMIN_121`, when None.
    resume
        Continue from the last checkpoint in ``output_dir/bigru`` (:func:`gexnb.train.fit`).
    recalibrate_batchnorm
        Recompute the BatchNorm statistics on up to 20,000 training rows (seeded) before
        every validation pass (:class:`gexnb.train.BatchNormRecalibration`), which short
        runs need; the team's recipe did not (``False`` in the paper profile).
    **settings
        Overrides of ``config``'s fields (``epochs=12, batch_size=128``).

    Returns
    -------
    BiGRUResult
        The :class:`gexnb.train.TrainResult` with ``fit_seconds`` and ``trained``, the same
        model as a :class:`gexnb.pipelines.dream_models.SequenceModel` (what
        :func:`evaluate` scores, with its training time).
    """

    cfg = train.TrainingConfig.from_mapping(settings, base=config or train.METFORMIN_121)
    length = data.codes.shape[1]

    activation = TARGET_NORMALIZATIONS.get(data.stats["method"], "linear")

    sizes = {"n_layers": n_layers, "units": units, "dropout": dropout}

    def factory() -> Any:
        given = {name: value for name, value in sizes.items() if value is not None}
        return build(BIGRU, length=length, output_activation=activation, **given)

    callbacks = []
    if recalibrate_batchnorm:
        rng = np.random.default_rng(cfg.seed)
        rows = np.sort(rng.permutation(data.train_idx)[:20_000])
        callbacks.append(
            train.BatchNormRecalibration(data.codes[rows], batch_size=int(cfg.batch_size))
        )
    start = time.perf_counter()
    result = train.fit(
        factory,
        data.split("train"),
        data.split("val"),
        output_dir=Path(output_dir) / "bigru",
        config=cfg,
        resume=resume,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start
    trained = SequenceModel(BIGRU, result.model, False, result.history, result.best_epoch, seconds)
    save_in_expression_units(result.model, data.stats, Path(output_dir) / f"{BIGRU}.keras")
    return BiGRUResult(**vars(result), fit_seconds=seconds, trained=trained)


#: Keys of notebook 02's ``model_params["kmer_ridge"]``: the options of
#: :func:`gexnb.models.kmer.build_kmer_ridge` (its defaults apply to the keys not given).
KMER_OPTIONS = ("k_min", "k_max", "alphas", "max_train")


def fit_kmer(
    data: PromoterData,
    *,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    output_dir: str | os.PathLike | None = None,
) -> Any:
    """Fit the k-mer ridge baseline on the training rows (same split as the BiGRU).

    ``params`` holds options of :func:`gexnb.models.kmer.build_kmer_ridge` (:data:`KMER_OPTIONS`:
    ``k_max``, k-mers of length 1..k_max, 6 by default; ``max_train``, at most this many
    training rows, a seeded subsample whose size is kept in ``n_fit_`` and reported as
    ``kmer_ridge/train/n_fit``); other keys are refused.

    Parameters
    ----------
    data
        Codes, normalised targets and split.
    params
        Options of the k-mer ridge (:data:`KMER_OPTIONS`), or None for its defaults.
    seed
        Seed of the training subsample.
    output_dir
        When given, the fitted model is also saved there as ``kmer_ridge.keras``
        (:meth:`gexnb.models.kmer.KmerRidge.to_keras`, in expression units as the other
        models of notebook 02), for ``gexnb predict``.

    Returns
    -------
    gexnb.models.kmer.KmerRidge
        The fitted baseline, its fitting time in ``fit_seconds``.

    Raises
    ------
    ParameterError
        For a key of ``params`` not in :data:`KMER_OPTIONS`.
    """

    unknown = sorted(set(params or {}) - set(KMER_OPTIONS))
    if unknown:
        raise ParameterError(
            f"unknown kmer_ridge option(s) {', '.join(unknown)}; valid: {', '.join(KMER_OPTIONS)}"
        )
    start = time.perf_counter()
    model = build(KMER, seed=seed, **dict(params or {})).fit(*data.split("train"))
    model.fit_seconds = time.perf_counter() - start
    if output_dir is not None:
        keras_model = model.to_keras(data.codes.shape[1], name=KMER)
        save_in_expression_units(keras_model, data.stats, Path(output_dir) / f"{KMER}.keras")
    return model


def fit_mean(data: PromoterData) -> Any:
    """The predict-the-mean baseline: the mean training target for every sequence.

    The floor every sequence model must beat (R^2 near 0 on the validation rows; its
    Pearson and Spearman correlations are undefined and left out of ``metrics.json``).

    Parameters
    ----------
    data
        Normalised targets and split.

    Returns
    -------
    gexnb.models.baselines.MeanBaseline
        The fitted baseline.
    """

    y = data.y[data.train_idx]
    return build("mean").fit(np.zeros((len(y), 1), dtype="float32"), y)


def predict_model(
    model: Any, codes: np.ndarray, batch_size: int = PREDICT_BATCH_SIZE
) -> np.ndarray:
    """Predict ``(n,)`` normalized targets for uint8 codes with a Keras model or the k-mer ridge.

    Keras models stream through :func:`gexnb.train.predict` in batches of ``batch_size``;
    the :class:`~gexnb.models.kmer.KmerRidge` baseline predicts in its own row chunks.

    Parameters
    ----------
    model
        A :class:`gexnb.pipelines.dream_models.SequenceModel`, a k-mer ridge, a
        predict-the-mean baseline or a Keras model.
    codes
        uint8 codes ``(n, length)``.
    batch_size
        Sequences per batch of a Keras model.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` predictions on the normalised target's scale.
    """

    if isinstance(model, SequenceModel):
        return model.predict(codes, batch_size=batch_size)
    if isinstance(model, KmerRidge):
        return model.predict(codes)
    if isinstance(model, MeanBaseline):
        return model.predict(np.zeros((len(codes), 1), dtype="float32"))

    return train.predict(model, codes, batch_size=batch_size)


def evaluate(
    data: PromoterData,
    models: dict[str, Any],
    *,
    output_dir: str | os.PathLike,
    batch_size: int = PREDICT_BATCH_SIZE,
) -> pd.DataFrame:
    """Score each model on train, validation and (when not empty) test rows; write the
    validation predictions and ``metrics.json``.

    Metrics (:func:`gexnb.metrics.regression_report`) are on the input expression scale;
    keys read ``<model>/<split>/<metric>`` (``metformin_bigru/val/r2``).

    Parameters
    ----------
    data
        Codes, expression and split.
    models
        Model name -> model (any that :func:`predict_model` takes).
    output_dir
        Folder of ``predictions_val.tsv`` (``row``: the data row of the training file, 0
        the first; ``sequence``, ``expression``, one column per model) and
        ``metrics.json``.
    batch_size
        Sequences per prediction batch.

    Returns
    -------
    pandas.DataFrame
        One row per model and split, the metrics as columns.
    """
    out = ensure_output_dir(output_dir)
    rows, flat = [], {}
    val_pred = {}
    for name, model in models.items():
        for split, idx in data.promoters.splits.items():
            if not len(idx):
                continue
            pred = data.denormalize(predict_model(model, data.codes[idx], batch_size))
            true = data.expression[idx]
            report = gm.regression_report(true, pred)
            rows.append({"model": name, "split": split, **report})
            flat.update(gm.prefixed(report, name, split))
            if split == "val":
                val_pred[name] = pred
        if getattr(model, "fit_seconds", None) is not None:
            flat[f"{name}/train/fit_seconds"] = float(model.fit_seconds)
        if getattr(model, "n_fit_", None) is not None:
            flat[f"{name}/train/n_fit"] = int(model.n_fit_)
    # row: the data row of the training file (0 the first), to join other columns back
    table = pd.DataFrame({"row": data.val_idx, "sequence": data.promoters.sequences(data.val_idx)})
    table["expression"] = data.expression[data.val_idx]
    for name, pred in val_pred.items():
        table[name] = pred
    write_table_atomic(out / "predictions_val.tsv", table, index=False)
    write_metrics(out, flat)
    return pd.DataFrame(rows)


def load_test(
    test_path: str,
    *,
    length: int = 142,
    too_long: str = "error",
    data: PromoterData | None = None,
    expression_column: str = "",
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a test file (``test_measured.tsv``: sequence, expression, subsets) and encode it.

    Parameters
    ----------
    test_path
        The test file.
    length, too_long
        Encoding options of :func:`gexnb.data.sequences.read_encoded` (the file is read
        twice: as a table with its subset columns, and encoded with the line of any error).
    data
        The training data: a test file beside test rows held out of it (``fractions``) is
        refused, as both would be scored under the split ``test``.
    expression_column
        The measured column's header name, as in the training file
        (:func:`gexnb.data.promoters.load_promoters`).

    Returns
    -------
    frame, codes
        The file's table and the uint8 codes ``(n, length)`` of its sequences.

    Raises
    ------
    InputError
        A bad line, or a sequence longer than ``length`` under ``too_long="error"``, naming
        the file and the line (notebook 02 reads the test file before any training); a
        public-leaderboard mark it cannot read (:func:`public_leaderboard_rows`).
    ParameterError
        ``data`` holds test rows.
    """
    if data is not None and len(data.test_idx):
        raise ParameterError(
            f"two test sets: fractions hold out {len(data.test_idx):,} test rows and test_path "
            f"gives {Path(test_path).name}; both would be scored as 'test': set the test "
            "share of fractions to 0, or test_path to ''"
        )
    frame = seqs.read_sequences(test_path, expression_column=expression_column)
    public_leaderboard_rows(frame, test_path)  # a value it cannot read: refused here
    codes, _ = seqs.read_encoded(
        test_path, length=length, too_long=too_long, expression_column=expression_column
    )
    return frame, codes


#: Column of ``test_measured.tsv`` marking the public-leaderboard rows, which the challenge's
#: official scorer (Prix Fixe ``evaluation.py``) leaves out of the final scores.
PUBLIC_LEADERBOARD_COLUMN = "in_public_leaderboard"

#: The values of :data:`PUBLIC_LEADERBOARD_COLUMN` read (letter case aside), and what they say.
_LEADERBOARD_VALUES = {
    "1": True, "0": False, "1.0": True, "0.0": False, "true": True, "false": False,
    "yes": True, "no": False,
}  # fmt: skip


def public_leaderboard_rows(frame: pd.DataFrame, path: str | os.PathLike | None = None) -> Any:
    """Which rows of a test table are on the public leaderboard, or None without the column.

    :data:`PUBLIC_LEADERBOARD_COLUMN` holds 0/1 in the organisers' file; ``True``/``False``
    (as pandas writes a bool column) and ``yes``/``no`` are read too. Any other value is
    refused: read as "not public", it made every row count in the "private (official)"
    score (a reviewer's finding).

    Parameters
    ----------
    frame
        The test table (:func:`load_test`).
    path
        The file, named in the error.

    Returns
    -------
    numpy.ndarray or None
        Boolean, True for a public-leaderboard row.

    Raises
    ------
    InputError
        A value not among 0/1, true/false, yes/no (the first one named with its row).
    """
    if PUBLIC_LEADERBOARD_COLUMN not in frame.columns:
        return None
    text = frame[PUBLIC_LEADERBOARD_COLUMN].astype(str).str.strip().str.lower()
    known = text.isin(list(_LEADERBOARD_VALUES))
    if not known.all():
        row = int(np.flatnonzero(~known.to_numpy())[0])
        raise InputError(
            f"column {PUBLIC_LEADERBOARD_COLUMN!r}, row {row + 1} of the table: "
            f"{frame[PUBLIC_LEADERBOARD_COLUMN].iloc[row]!r} (give 1 for a public-leaderboard "
            "row, 0 for the others; true/false and yes/no are read too)",
            path=None if path is None else str(path),
        )
    return text.map(_LEADERBOARD_VALUES).to_numpy(dtype=bool)


def score_test(
    frame: pd.DataFrame,
    codes: np.ndarray,
    models: dict[str, Any],
    *,
    data: PromoterData,
    output_dir: str | os.PathLike,
    batch_size: int = PREDICT_BATCH_SIZE,
) -> pd.DataFrame:
    """Pearson and Spearman of every model on the test set, overall and per DREAM subset.

    The test expression may be on another scale than the training data (the DREAM 2022 test
    set was measured in a separate experiment), so only correlations are reported: keys
    ``<model>/test/pearson`` and ``<model>/test_<subset>/pearson`` (and spearman, n), plus the
    weighted DREAM scores over the subsets present (``pearson_score_available``; Rafi et al.
    2024), on all rows. When the file has the :data:`PUBLIC_LEADERBOARD_COLUMN` column, the
    same figures are computed as the official scorer does, without the public-leaderboard
    rows, under the split ``test_private`` (``<model>/test_private/pearson``,
    ``<model>/test_private_<subset>/pearson``, ...); the table's ``rows`` column says which
    set a row is on. Predictions, on the training data's expression scale (the target
    normalisation of ``data`` undone, as in :func:`evaluate`), go to ``predictions_test.tsv``
    beside the test file's own columns (ids, subsets; a model named as one of them is
    ``predicted_<model>``).
    The predict-the-mean baseline is skipped: a constant prediction has no correlation.

    Parameters
    ----------
    frame, codes
        The test table and its codes (:func:`load_test`).
    models
        Model name -> model (any that :func:`predict_model` takes).
    data
        The training data, whose target normalisation is undone.
    output_dir
        Folder of ``predictions_test.tsv`` and ``metrics.json``.
    batch_size
        Sequences per prediction batch.

    Returns
    -------
    pandas.DataFrame
        One row per model, row set and subset: ``model``, ``rows``, ``subset``, ``n``,
        ``pearson``, ``spearman``.
    """

    models = {k: m for k, m in models.items() if not isinstance(m, MeanBaseline)}
    out = ensure_output_dir(output_dir)
    true = frame["expression"].to_numpy(dtype="float64")
    row_sets = {"test": np.arange(len(frame))}
    used = np.concatenate([data.train_idx, data.val_idx])  # trained on, or chose the epoch
    seen = rows_in(codes, data.codes[used])
    if seen.any():  # a test file overlapping the training file was scored silently (a trial)
        warnings.warn(
            f"{int(seen.sum()):,} of the {len(codes):,} test sequences are also training or "
            "validation sequences: their scores are not those of held-out sequences",
            stacklevel=2,
        )
    public = public_leaderboard_rows(frame)
    if public is not None:
        row_sets["test_private"] = np.flatnonzero(~public)
    subsets_of = {  # the same for every model: parsed once per row set
        prefix: gm.parse_dream_subsets(frame.iloc[keep])["subsets"]
        if "subsets" in frame.columns
        else {"all": np.arange(len(keep))}
        for prefix, keep in row_sets.items()
    }
    # a weighted score over "all" alone would be r^2 renamed: only with DREAM's subsets
    weighted = {
        prefix: any(k != "all" and k in gm.DREAM_WEIGHTS for k in subsets)
        for prefix, subsets in subsets_of.items()
    }
    rows, flat = [], {}
    # the file's own columns (ids, subsets) kept, so predictions join back (a new user's
    # trial lost the ids); a prediction column never overwrites one of them
    own = [c for c in frame.columns if c not in ("sequence", "expression")]
    table = frame[["sequence", "expression", *own]].copy()
    for name, model in models.items():
        pred = data.denormalize(predict_model(model, codes, batch_size)).astype("float64")
        table[name if name not in own else f"predicted_{name}"] = pred
        for prefix, keep in row_sets.items():
            score = gm.dream_score(true[keep], pred[keep], subsets=subsets_of[prefix])
            label = "all rows" if prefix == "test" else "private (official)"
            for subset, entry in score["subsets"].items():
                split = prefix if subset == "all" else f"{prefix}_{subset}"
                rows.append({"model": name, "rows": label, "subset": subset, "n": entry["n"],
                             "pearson": entry["r"], "spearman": entry["rho"]})  # fmt: skip
                for metric, value in (("pearson", entry["r"]), ("spearman", entry["rho"])):
                    if np.isfinite(value):
                        flat[f"{name}/{split}/{metric}"] = value
                flat[f"{name}/{split}/n"] = entry["n"]
            for key in ("pearson_score", "spearman_score"):  # NaN when subsets are missing
                for suffix in ("", "_available") if weighted[prefix] else ():
                    value = score[f"{key}{suffix}"]
                    if np.isfinite(value):
                        flat[f"{name}/{prefix}/{key}{suffix}"] = value
    write_table_atomic(out / "predictions_test.tsv", table, index=False)
    write_metrics(out, flat)
    return pd.DataFrame(rows)


#: Similarity (:func:`gexnb.explain.motif_similarity`) from which a discovered motif counts
#: as a planted motif recovered: the one from which it is named after it (gexnb's threshold;
#: 1 is an exact match).
RECOVERED_SIMILARITY = MATCH_SIMILARITY


#: Keys of notebook 02's ``motif_discovery`` parameter: options of :func:`find_motifs`.
MOTIF_OPTIONS = ("n_sequences", "motif_file", "method")


def motif_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Notebook 02's ``motif_discovery`` mapping checked and completed with
    :func:`find_motifs`' own defaults (the one place they are stated).

    Parameters
    ----------
    options
        The mapping (keys of :data:`MOTIF_OPTIONS`), or None for all defaults.

    Returns
    -------
    dict
        ``n_sequences``, ``motif_file`` and ``method``.

    Examples
    --------
    >>> motif_options({"n_sequences": 0})
    {'n_sequences': 0, 'motif_file': '', 'method': 'ism'}
    """
    signature = inspect.signature(find_motifs).parameters
    defaults = {key: signature[key].default for key in MOTIF_OPTIONS}
    return with_defaults(options, defaults, name="motif_discovery")


def find_motifs(
    model: Any,
    data: PromoterData,
    *,
    output_dir: str | os.PathLike,
    n_sequences: int = 1000,
    motif_file: str = "",
    method: str = "ism",
    name: str = BIGRU,
    progress: bool = True,
) -> Any:
    """What did the model learn? TF-MoDISco motifs of its attributions on validation rows.

    Hypothetical contributions (:func:`gexnb.explain.hypothetical_contributions`) of the
    first ``n_sequences`` validation sequences go through TF-MoDISco
    (:func:`gexnb.explain.discover_motifs`). The motifs are matched against the planted
    motifs on synthetic data (:data:`gexnb.data.synthetic.PROMOTER_MOTIFS`), else against
    ``motif_file`` (MEME format) when given. The motifs' contributions are in expression
    units (the model's, times the target normalisation's slope). Writes ``motifs.tsv``
    (motif, sign, consensus,
    n_seqlets, best_match, similarity) and the metrics ``<name>/val/motifs_found`` and, on
    synthetic data, ``<name>/val/planted_motifs_recovered`` (similarity >=
    :data:`RECOVERED_SIMILARITY`, and the sign of the motif's planted effect).
    ``n_sequences=0`` turns motif discovery off: nothing is computed or written, and the
    result says so in its ``note``.

    Parameters
    ----------
    model
        The model to explain.
    data
        The promoter data (validation rows; synthetic or not).
    output_dir
        Folder of ``motifs.tsv`` and ``metrics.json``.
    n_sequences
        Number of validation sequences explained (0: motif discovery off).
    motif_file
        MEME file of known motifs to match (real data only), or ``""``.
    method
        Attribution method: ``"ism"`` or ``"gradient"``.
    name
        Model name in the metrics keys.
    progress
        Show progress bars.

    Returns
    -------
    gexnb.explain.MotifResult
    """

    if int(n_sequences) < 0:
        raise ParameterError(f"n_sequences must be >= 0, got {n_sequences}")
    if int(n_sequences) == 0:
        return MotifResult([], 0, method, note="motif discovery off (n_sequences = 0)")
    out = ensure_output_dir(output_dir)
    rows = data.val_idx[: int(n_sequences)]
    known: Any = None
    if data.synthetic:
        known = {k: motif for k, (motif, _) in PROMOTER_MOTIFS.items()}
    elif motif_file:
        known = motif_file
    result = discover_motifs(model, data.codes[rows], method=method, known=known, progress=progress)
    # the model predicts the normalised target: its contributions, times the normalisation's
    # slope, are in expression units, as the sequence viewer's mutagenesis (a new user's
    # trial found the logos 1.49 x, the training sd, smaller than the viewer's changes)
    unit = float(np.diff(data.denormalize(np.array([0.0, 1.0])))[0])
    for motif in result.motifs:
        motif.contributions = motif.contributions * unit
        motif.hypothetical = motif.hypothetical * unit
    write_table_atomic(out / "motifs.tsv", result.table(), index=False)
    metrics = {f"{name}/val/motifs_found": len(result.motifs)}
    if data.synthetic:
        recovered = {  # named after a planted motif (similarity >= RECOVERED_SIMILARITY),
            m.best_match  # with the sign of its planted effect: an activator found lowering
            for m in result.motifs  # the prediction is not recovered (a reviewer's finding)
            if m.best_match and m.sign == np.sign(PROMOTER_MOTIFS[m.best_match][1])
        }
        metrics[f"{name}/val/planted_motifs_recovered"] = len(recovered)
    write_metrics(out, metrics)
    return result


def attention_by_position(
    model: Any, codes: np.ndarray, *, batch_size: int | None = None
) -> np.ndarray:
    """Attention weights ``(n, length)`` of the model's ContextAttention layer.

    A thin alias of :func:`gexnb.explain.attention_weights` (empty ``codes`` give an empty
    ``(0, length)`` array).

    Parameters
    ----------
    model
        A model with a ContextAttention layer (the BiGRU).
    codes
        uint8 codes ``(n, length)``.
    batch_size
        Sequences per batch; None: :func:`~gexnb.explain.attention_weights`'s default.

    Returns
    -------
    numpy.ndarray
        Attention weights ``(n, length)``.
    """

    if len(codes) == 0:
        return np.zeros((0, np.shape(codes)[1]), "float32")
    if batch_size is None:
        return attention_weights(model, codes)
    return attention_weights(model, codes, batch_size=batch_size)


def planted_starts(data: PromoterData, rows: np.ndarray) -> dict[str, np.ndarray] | None:
    """Planted motif starts (encoded coordinates, -1 absent) of ``rows``; ``None`` unless the
    promoters are synthetic (:func:`gexnb.data.synthetic.planted_positions`).

    Parameters
    ----------
    data
        The promoter data.
    rows
        Row indices of the sequences.

    Returns
    -------
    dict or None
        Motif name -> start of the motif in each row (-1 where absent), or None.
    """

    truth = data.promoters.truth
    if truth is None:
        return None
    return planted_positions(truth.iloc[rows], length=data.codes.shape[1])


def planted_attention(data: PromoterData, weights: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
    """Mean attention at planted motif positions against elsewhere (synthetic data only).

    Parameters
    ----------
    data
        The synthetic promoter data.
    weights
        Attention ``(len(rows), length)`` for the sequences ``rows`` of ``data``.
    rows
        Row indices of the sequences.

    Returns
    -------
    pandas.DataFrame
        One row per motif: mean weight inside the motif, mean elsewhere, their ratio.
    """
    positions = planted_starts(data, rows)
    truth = data.promoters.truth
    if positions is None or truth is None:
        raise ParameterError("planted motifs are known for synthetic promoters only")
    length = data.codes.shape[1]
    motifs = truth.attrs.get("motifs", {})
    out = []
    for name, starts in positions.items():
        width = len(motifs.get(name, {}).get("motif", "x" * 6))
        mask = np.zeros_like(weights, dtype=bool)
        have = np.flatnonzero(starts >= 0)
        for offset in range(width):
            cols = np.clip(starts[have] + offset, 0, length - 1)
            mask[have, cols] = True
        inside = float(weights[mask].mean()) if mask.any() else float("nan")
        outside = float(weights[~mask].mean())
        out.append({"motif": name, "n_sequences": int(have.size), "attention_in_motif": inside,
                    "attention_elsewhere": outside, "ratio": inside / outside})  # fmt: skip
    return pd.DataFrame(out)
