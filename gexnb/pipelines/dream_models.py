"""Notebook 02's comparison: the DREAM 2022 winners' sequence models trained beside the BiGRU.

LegNet (autosome.org, 1st place; :func:`gexnb.models.legnet.build_legnet`) and the Prix Fixe
DREAM-CNN (:func:`gexnb.models.dream_cnn.build_dream_cnn`) are trained on the same split as
the Metformin-121 BiGRU, with the Prix Fixe recipe by default (:data:`gexnb.train.PRIX_FIXE`:
AdamW, one-cycle, reverse-complement augmentation) and, as their authors, on soft expression
bins: the model's 18 logits are fitted to a normal distribution around each measured value
(:func:`gexnb.models.legnet.soft_bin_targets`, cross-entropy to soft targets, which has the
KL divergence's gradients) and the prediction is the expected bin. A model trained on both
strands averages both when it predicts, inside the saved model
(:func:`gexnb.models.layers.strand_averaged`), so ``gexnb predict`` on its ``.keras`` file
gives the notebook's numbers. Any other deep sequence model of the registry trains on the
BiGRU's normalised target with MSE.
"""

from __future__ import annotations

import inspect
import json
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import yaml

from gexnb import train
from gexnb.errors import ParameterError
from gexnb.io import atomic_path
from gexnb.models import available, build
from gexnb.models.layers import SoftBinExpectation, strand_averaged
from gexnb.models.legnet import FLAG_NAMES, bin_logits_model, dream_flags, soft_bin_targets
from gexnb.models.registry import get_factory
from gexnb.pipelines.params import split_params
from gexnb.train.config import PREDICT_BATCH_SIZE

__all__ = [
    "SequenceModel",
    "train_sequence_model",
    "train_models",
    "check_plan",
    "save_in_expression_units",
    "check_bin_range",
    "COMPARE_MODELS",
]

#: Deep sequence models notebook 02 can train beside the BiGRU (the registry's deep models
#: of the ``sequence`` task but the BiGRU itself).
COMPARE_MODELS = tuple(m for m in available(kind="deep", task="sequence") if m != "metformin_bigru")


@dataclass
class SequenceModel:
    """A trained sequence model whose predictions are on the normalised target's scale.

    Parameters
    ----------
    name, model, reverse_complement, history, best_epoch, fit_seconds, singleton_share
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    name
        Registry name.
    model
        Keras model mapping uint8 codes to the normalised target (a bin model's expected bin
        is rescaled by the target normalisation inside the model).
    reverse_complement
        Trained on both strands; then ``model`` averages each sequence and its reverse
        complement itself (:func:`gexnb.models.layers.strand_averaged`).
    history, best_epoch, fit_seconds
        Training history (loss per epoch), best epoch, wall time.
    singleton_share
        With the DREAM flag channels: the share of training rows flagged as singletons.
    """

    name: str
    model: Any
    reverse_complement: bool
    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None
    fit_seconds: float = 0.0
    singleton_share: float | None = None

    def predict(self, codes: np.ndarray, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """``(n,)`` normalised predictions for uint8 codes."""
        return train.predict(self.model, codes, batch_size=batch_size)

    def count_params(self) -> int:
        """Parameters of the network."""
        return int(self.model.count_params())


def _affine_normalisation(stats: Mapping[str, Any]) -> tuple[float, float] | None:
    """``(scale, offset)`` with ``y_norm = scale * y + offset``; None if not affine (log)."""
    method = stats.get("method")
    if method == "half_median":
        return 1.0 / (2.0 * stats["median"]), 0.0
    if method == "zscore":
        return 1.0 / stats["sd"], -stats["mean"] / stats["sd"]
    if method == "none":
        return 1.0, 0.0
    return None


def _normalized_output(model: keras.Model, stats: Mapping[str, Any]) -> keras.Model:
    """``model`` (raw expression scale) followed by the target normalisation (shared weights)."""
    affine = _affine_normalisation(stats)
    if affine is None:
        method = stats.get("method")
        raise ParameterError(f"a bin model needs an affine target normalisation, not {method!r}")
    out = keras.layers.Rescaling(*affine, dtype="float32", name="target_scale")(model.output)
    return keras.Model(model.inputs, out, name=model.name)


def save_in_expression_units(
    model: keras.Model, stats: Mapping[str, Any], path: str | os.PathLike
) -> None:
    """Save ``model`` (normalised output) with the target normalisation undone in-graph.

    The file predicts on the training data's own expression scale, as notebook 02's
    ``predictions_*.tsv`` and ``gexnb predict`` report it (for the Metformin-121 target,
    ``y / (2 median(y_train))``, the last layer multiplies by ``2 median``). The model in
    memory keeps its normalised output. A normalisation that is not affine (``log``) is
    saved as trained, with a warning.

    Parameters
    ----------
    model
        Model whose output is the normalised target.
    stats
        Statistics of the target normalisation (``method`` and its values, as in
        :attr:`gexnb.pipelines.promoter.PromoterData.stats`).
    path
        The ``.keras`` file, written atomically.
    """
    affine = _affine_normalisation(stats)
    if affine is None:
        warnings.warn(
            f"{Path(path).name}: saved on the normalised scale ({stats.get('method')}); "
            "invert it with gexnb.data.sequences.denormalize_target",
            stacklevel=2,
        )
        final = model
    else:
        scale, offset = affine
        layer = keras.layers.Rescaling(
            1.0 / scale, -offset / scale, dtype="float32", name="expression_units"
        )
        final = keras.Model(model.inputs, layer(model.output), name=model.name)
    with atomic_path(path) as tmp:
        final.save(tmp)


def _has_bins(model: keras.Model) -> bool:
    try:
        model.get_layer("logits")
    except ValueError:
        return False
    return isinstance(model.get_layer("output"), SoftBinExpectation)


#: Share of the training values a bin read-out may leave outside its bins before it is refused.
BIN_RANGE_TOLERANCE = 0.01


def check_bin_range(
    names: str | Sequence[str],
    model_params: Mapping[str, Any] | None,
    values: np.ndarray,
    *,
    warn: bool = True,
) -> None:
    """Refuse a bin read-out, or DREAM flags, on training values that cannot take them,
    before anything trains.

    LegNet's and DREAM-CNN's ``output="bins"`` (the authors') predicts the expected bin,
    0 to ``n_bins - 1``: DREAM 2022's expression bins. Data on another scale (log ratios
    centred on 0, TPM) needs ``output: linear``, which trains on the normalised target.
    With ``extra_channels`` the singleton flag is set on whole-number values; when every
    value is one, training and prediction would see opposite flags.

    Parameters
    ----------
    names
        The registered model names (or one) to check; models without a ``"bins"`` output
        or flag input pass.
    model_params
        Model name -> its settings (``output``, ``n_bins`` and ``extra_channels`` override
        the factory's defaults), or None: notebook 02's whole ``model_params``, spelled
        out with ``output: linear`` added for every model that needs it in the error (a
        ``-p model_params=...`` is merged into the profile's mapping model by model, so the
        error also gives the shorter ``-p`` value).
    values
        Training values of the measured expression.
    warn
        Warn of a singleton flag on few whole numbers (:data:`SINGLETON_SHARE_WARNING`);
        False where the plan has already warned (the training of each model).

    Raises
    ------
    ParameterError
        When more than :data:`BIN_RANGE_TOLERANCE` of ``values`` fall outside a model's
        bins, naming the ``model_params`` value that fixes it; flags on whole numbers only.
    """
    names = [names] if isinstance(names, str) else list(names)
    given = {str(k): dict(v or {}) for k, v in (model_params or {}).items()}
    share = float(np.mean(values == np.round(values))) if len(values) else 0.0
    keys = ("output", "n_bins", "extra_channels")
    failing = []
    for name in names:
        defaults = inspect.signature(get_factory(name)).parameters
        options = {key: defaults[key].default for key in keys if key in defaults}
        options.update({k: v for k, v in given.get(name, {}).items() if k in options})
        if options.get("extra_channels") and share == 1.0:
            raise ParameterError(_whole_numbers_message(name))
        if warn and options.get("extra_channels") and 0.01 <= share < SINGLETON_SHARE_WARNING:
            warnings.warn(  # DREAM's singletons are whole numbers; other data's rarely mean it
                f"{name}: the singleton flag marks whole-number measurements (DREAM 2022's "
                f"sequences seen in one cell: 57.9 % of its demo training rows); {share:.1%} "
                "of these values are whole numbers, most likely by chance (clipped or "
                "rounded values): for data other than DREAM's, set extra_channels: 0",
                stacklevel=2,
            )
        if options.get("output") != "bins":
            continue
        top = int(options["n_bins"]) - 1
        outside = float(np.mean((values < 0) | (values > top)))
        if outside > BIN_RANGE_TOLERANCE:
            failing.append((name, top, outside))
    if not failing:
        return
    for name, _, _ in failing:
        given.setdefault(name, {})["output"] = "linear"
    plain = json.loads(
        json.dumps(given, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    )
    value = yaml.safe_dump(plain, default_flow_style=True, sort_keys=False, width=10**6).strip()
    reads = "; ".join(
        f"{name}: the 'bins' read-out predicts DREAM's expression bins 0 to {top}, but "
        f"{outside:.0%} of the training values lie outside them"
        for name, top, outside in failing
    )
    raise ParameterError(
        f"{reads} (range {values.min():.3g} to {values.max():.3g}); add output: linear to "
        f"its model_params entry: model_params: {value} (on the command line -p "
        "'model_params={"
        + ", ".join(f"{n}: {{output: linear}}" for n, _, _ in failing)
        + "}' is merged into the profile's settings, model by model)"
    )


#: Below this share of whole-number training values (and from 1 %: fewer flag too few rows
#: to matter), the DREAM singleton flag (``extra_channels``) is warned of: DREAM's demo
#: training rows have 57.9 %, data measured on a continuous scale a few clipped or rounded
#: values (a new user's MPRA log ratios: 3.8 %; the synthetic promoters, clipped to 0-17: 0.1 %).
SINGLETON_SHARE_WARNING = 0.2


def _whole_numbers_message(name: str) -> str:
    return (
        f"{name}: every measured value is a whole number, so the singleton flag would be 1 "
        "for every training row and 0 for every prediction; use extra_channels 0 here"
    )


def _inputs(net: keras.Model, data: Any, idx: np.ndarray, name: str) -> Any:
    """The codes of rows ``idx``, with their DREAM flags for a model with a flags input."""
    n_flags = train.flag_count(net)
    if not n_flags:
        return data.codes[idx]
    if n_flags != len(FLAG_NAMES):
        raise ParameterError(
            f"{name}: extra_channels={n_flags}; notebook 02 feeds {len(FLAG_NAMES)} flags "
            f"({', '.join(FLAG_NAMES)}): use model_params: {{{name}: {{extra_channels: 2}}}} "
            "(or 0)"
        )
    flags = dream_flags(data.expression[idx])
    if len(idx) and flags[:, 1].all():
        raise ParameterError(_whole_numbers_message(name))
    return data.codes[idx], flags


def train_sequence_model(
    data: Any,
    name: str,
    *,
    output_dir: str | os.PathLike,
    params: Mapping[str, Any] | None = None,
    config: train.TrainingConfig | None = None,
    seed: int = 0,
) -> SequenceModel:
    """Train registry model ``name`` on ``data`` (a :class:`gexnb.pipelines.promoter.PromoterData`).

    Parameters
    ----------
    data
        Codes, targets and split (the BiGRU's).
    name
        A deep sequence model (:data:`COMPARE_MODELS`).
    output_dir
        Checkpoints under ``output_dir/<name>``; the final model saved as
        ``output_dir/<name>.keras`` (normalised-target output).
    params
        Architecture keys for :func:`gexnb.models.build` (``block_sizes=[64, 32, 32]``), keys of
        :class:`gexnb.train.TrainingConfig` (``epochs``, ``batch_size``, ...), and
        ``soft_bins`` (bin models: train on soft bins as the authors, default True; False:
        MSE on the expected bin). ``extra_channels=2`` gives the model the authors' two flag
        channels (:data:`gexnb.models.legnet.FLAG_NAMES`): the singleton flag of each
        training and validation row from its measured value, the reverse-strand flag set on
        the reverse complements; predictions use "not a singleton" for every sequence.
        The validation rows carry their own singleton flags, as the LegNet team's inferred
        flags did (they choose the best epoch); data whose every value is a whole number is
        refused (every prediction would be off the training distribution).
    config
        Base training settings (:data:`gexnb.train.PRIX_FIXE` when None).
    seed
        Seed of the initialisation and of the batches.

    Returns
    -------
    SequenceModel
        The trained model (normalised-target output, strand-averaged when trained on both
        strands) with its history, best epoch and training time.
    """
    if name not in COMPARE_MODELS:
        raise ParameterError(
            f"unknown sequence model {name!r}; use one of {', '.join(COMPARE_MODELS)}"
        )
    arch, train_kw = split_params(dict(params or {}), name)
    soft_bins = bool(arch.pop("soft_bins", True))
    cfg = train.TrainingConfig.from_mapping(
        {"verbose": 0, "seed": seed, **train_kw}, base=config or train.PRIX_FIXE
    )
    keras.utils.set_random_seed(int(seed))
    try:
        net = build(name, length=data.codes.shape[1], **arch)
    except TypeError as exc:  # an architecture key the factory does not take
        raise ParameterError(f"model_params of {name}: {exc}") from None
    check_bin_range(name, {name: arch}, data.expression[data.train_idx], warn=False)
    bins = _has_bins(net)
    rows = {"train": data.train_idx, "val": data.val_idx}
    x = {s: _inputs(net, data, idx, name) for s, idx in rows.items()}
    folder = Path(output_dir) / name
    start = time.perf_counter()
    if bins and soft_bins:
        n_bins = int(net.get_layer("logits").output.shape[-1])
        targets = {s: soft_bin_targets(data.expression[idx], n_bins) for s, idx in rows.items()}
        logits = bin_logits_model(net)
        # Prix Fixe keeps the epoch of the best r of the expected bin (net's output, which
        # shares the logits' weights) with the measured values
        scored = []
        if cfg.monitor == "val_pearson":
            scored.append(train.ValidationPearson(
                x["val"], data.expression[data.val_idx], both_strands=cfg.reverse_complement,
                model=net,
            ))  # fmt: skip
        result = train.fit(
            logits, (x["train"], targets["train"]), (x["val"], targets["val"]), output_dir=folder,
            config=cfg.replace(loss=keras.losses.CategoricalCrossentropy(from_logits=True)),
            callbacks=scored,
        )  # fmt: skip
        final = _normalized_output(net, data.stats)
    elif bins:
        result = train.fit(net, (x["train"], data.expression[data.train_idx]),
                           (x["val"], data.expression[data.val_idx]),
                           output_dir=folder, config=cfg)  # fmt: skip
        final = _normalized_output(net, data.stats)
    else:
        result = train.fit(net, (x["train"], data.y[data.train_idx]),
                           (x["val"], data.y[data.val_idx]), output_dir=folder,
                           config=cfg)  # fmt: skip
        final = result.model
    if cfg.reverse_complement:
        final = strand_averaged(final, name=name)
    seconds = time.perf_counter() - start
    save_in_expression_units(final, data.stats, Path(output_dir) / f"{name}.keras")
    share = float(x["train"][1][:, 1].mean()) if isinstance(x["train"], tuple) else None
    return SequenceModel(name, final, bool(cfg.reverse_complement), result.history,
                         result.best_epoch, seconds, share)  # fmt: skip


def check_plan(names: Sequence[str], model_params: Mapping[str, Mapping[str, Any]] | None) -> None:
    """Notebook 02's ``models`` and ``model_params``, checked before anything trains.

    Parameters
    ----------
    names
        Deep sequence models to compare (:data:`COMPARE_MODELS`).
    model_params
        Model name -> parameters (``kmer_ridge`` allowed too), or None.

    Raises
    ------
    ParameterError
        For an unknown model name (in ``names`` or ``model_params``) or a key no model
        builder or training setting takes (:func:`gexnb.pipelines.params.check_model_params`).
        Parameters of a known model that is not compared are a warning, as in notebook 03.
    """
    from gexnb.pipelines.params import check_model_params

    wrong = [name for name in names if name not in COMPARE_MODELS]
    if wrong:
        raise ParameterError(
            f"models: unknown sequence model(s) {', '.join(map(repr, wrong))}; "
            f"use any of {', '.join(COMPARE_MODELS)}"
        )
    known = (*COMPARE_MODELS, "kmer_ridge")
    unknown = sorted(set(model_params or {}) - set(known))
    if unknown:
        raise ParameterError(
            f"model_params for unknown model(s) {', '.join(unknown)} (valid: "
            f"{', '.join(known)}; the BiGRU has its own parameters)"
        )
    idle = sorted(set(model_params or {}) - set(names) - {"kmer_ridge"})
    if idle and names:  # e.g. a profile's settings while models is narrowed with -p; not
        # with models: [], which turns every model off on purpose (a trial found it noise)
        warnings.warn(f"model_params of {', '.join(idle)} not used: not in models", stacklevel=2)
    for name, params in (model_params or {}).items():
        check_model_params(name, params, fixed=("length",), extra=("soft_bins",))


def train_models(
    data: Any,
    names: Sequence[str],
    *,
    output_dir: str | os.PathLike,
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, SequenceModel]:
    """:func:`train_sequence_model` for each name, with a progress bar (``tqdm.auto``).

    Parameters
    ----------
    data
        Codes, targets and split (a :class:`gexnb.pipelines.promoter.PromoterData`).
    names
        Deep sequence models to train (:data:`COMPARE_MODELS`), checked first with
        :func:`check_plan`.
    output_dir
        As for :func:`train_sequence_model`.
    model_params
        Model name -> ``params`` of :func:`train_sequence_model`.
    seed
        Seed of every model's training.
    progress
        Show the progress bar.

    Returns
    -------
    dict
        Model name -> :class:`SequenceModel`, in the order of ``names``.
    """
    from tqdm.auto import tqdm

    check_plan(names, model_params)
    out: dict[str, SequenceModel] = {}
    bar = tqdm(list(names), desc="sequence models", unit="model", disable=not progress or not names)
    for name in bar:
        params = (model_params or {}).get(name)
        out[name] = train_sequence_model(
            data, name, output_dir=output_dir, params=params, seed=seed
        )
        share = out[name].singleton_share
        flags = "" if share is None else f"; singleton flag on {share:.1%} of training rows"
        print(f"{name}: {out[name].count_params():,} parameters, best epoch "
              f"{out[name].best_epoch}, {out[name].fit_seconds:.1f} s{flags}")  # fmt: skip
    return out
