"""Checks of what goes into a model: splits, sequence codes, lengths."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import keras
import numpy as np
import pandas as pd

from gexnb.errors import InputError, ParameterError


def _model_length(model: Any) -> int | None:
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError):
        return None
    if len(shape) == 2 and shape[1] is not None:
        return int(shape[1])
    return None


def takes_sequence_codes(model: Any) -> bool:
    """Whether ``model``'s (first) input is integer sequence codes (a sequence model).

    Parameters
    ----------
    model
        A Keras model; one without symbolic inputs gives False.

    Returns
    -------
    bool
        True when the first input's dtype is a signed or unsigned integer.
    """
    try:
        dtype = model.inputs[0].dtype
    except (AttributeError, IndexError, TypeError):
        return False
    return np.dtype(keras.backend.standardize_dtype(dtype)).kind in "ui"


def check_model_input(model: Any, x: Any, *, what: str = "inputs") -> np.ndarray:
    """Check ``x`` against ``model``'s input: per-sample shape, and codes 0..5 for sequences.

    Parameters
    ----------
    model
        A Keras model (a subclassed model without symbolic inputs is not checked).
    x
        Inputs, samples along the first axis.
    what
        Name of ``x`` in the error message.

    Returns
    -------
    numpy.ndarray
        ``x`` as an array.

    Raises
    ------
    InputError
        Wrong per-sample shape; float inputs or a code outside 0..5 for a sequence model.
    """
    arr = np.asarray(x)
    try:
        expected = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError):
        return arr
    given = arr.shape[1:]
    if len(given) != len(expected) or any(
        e is not None and int(e) != g for e, g in zip(expected, given, strict=True)
    ):
        if takes_sequence_codes(model) and arr.ndim == 2 and len(expected) == 1:
            problem = "longer" if given[0] > expected[0] else "shorter"
            raise InputError(
                f"{what}: sequences have length {given[0]}, {problem} than the model length "
                f"{expected[0]}; encode with length={expected[0]} (too_long='trim' to cut "
                "longer ones)"
            )
        raise InputError(
            f"{what}: each sample has shape {given}, but the model expects "
            f"{tuple(None if e is None else int(e) for e in expected)}"
        )
    if takes_sequence_codes(model):
        from gexnb.data.sequences import check_codes

        if arr.dtype.kind not in "ui":
            raise InputError(
                f"{what}: the model takes uint8 sequence codes, got {arr.dtype} values "
                "(encode with gexnb.data.sequences.encode_sequences)"
            )
        check_codes(arr, what=what)
    return arr


def _check_xy(data: Any, what: str, model: Any) -> Any:
    if isinstance(data, (np.ndarray, dict, pd.DataFrame, pd.Series)):
        raise InputError(
            f"{what} must be an (x, y) pair (or a keras.utils.PyDataset), got "
            f"{type(data).__name__}" + (": the targets are missing" if what == "train" else "")
        )
    if not isinstance(data, (tuple, list)):
        return data  # a keras PyDataset or another iterable: handed to Keras as is
    if len(data) != 2:
        raise InputError(f"{what} must be an (x, y) pair, got {len(data)} items")
    x, y = data
    if isinstance(x, tuple):  # (codes, flags) for a model with a flags input
        return _check_flagged(x, y, what, model)
    if len(getattr(model, "inputs", None) or []) == 2:
        raise InputError(
            f"{what}: the model has a second input (per-sequence flags): give x as (codes, flags)"
        )
    return _check_plain(x, y, what, model)


def _check_plain(x: Any, y: Any, what: str, model: Any) -> tuple[np.ndarray, np.ndarray]:
    """One input array ``x`` (the model's first input) and its targets."""
    if isinstance(x, pd.DataFrame):  # by dtype: a repeated column name gives a frame
        text = [(c, t) for c, t in zip(x.columns, x.dtypes, strict=True)
                if not pd.api.types.is_numeric_dtype(t)]  # fmt: skip
        if text:
            raise InputError(f"{what}: x column {text[0][0]!r} is not numeric ({text[0][1]})")
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if x.dtype.kind not in "biuf":
        raise InputError(f"{what}: x has dtype {x.dtype}; the model takes numbers")
    try:
        y = np.asarray(y, dtype="float32")
    except (TypeError, ValueError):
        raise InputError(f"{what}: y is not numeric") from None
    if len(x) == 0:
        raise InputError(f"{what} split is empty (0 rows)")
    if len(x) != len(y):
        raise InputError(f"{what}: x has {len(x)} rows but y has {len(y)}")
    _check_finite(y, f"{what}: target")
    if np.issubdtype(x.dtype, np.floating):
        _check_finite(x, f"{what}: input")
    check_model_input(model, x, what=what)
    _check_target_width(y, what, model)
    _warn_unreachable_targets(y, what, model)
    if takes_sequence_codes(model) and x.ndim == 2 and x.shape[1]:
        from gexnb.data.sequences import PAD_CODE

        empty = int(np.count_nonzero((x == PAD_CODE).all(axis=1)))
        if empty:
            warnings.warn(
                f"{what}: {empty} of {len(x)} sequences are all padding (empty sequences, "
                "which encode_sequences refuses)",
                stacklevel=4,
            )
    return x, y


#: Share of the targets outside a sigmoid's 0..1 above which :func:`_check_plain` warns
#: (the half_median tolerance of notebook 02).
_SIGMOID_TOLERANCE = 0.01


def _warn_unreachable_targets(y: np.ndarray, what: str, model: Any) -> None:
    """Warn when a model whose output is a sigmoid (0..1) is given targets it cannot reach:
    raw expression up to 900 trained with a loss of 444,634 and no word."""
    layers = getattr(model, "layers", None) or []
    activation = getattr(layers[-1], "activation", None) if layers else None
    if getattr(activation, "__name__", "") != "sigmoid" or not y.size:
        return
    outside = float(np.mean((y < 0) | (y > 1)))
    if outside > _SIGMOID_TOLERANCE:
        warnings.warn(
            f"{what}: {outside:.0%} of the targets lie outside 0..1 (range {y.min():.3g} to "
            f"{y.max():.3g}), out of reach of the model's sigmoid output; normalise them "
            "(gexnb.data.normalize_target)",
            stacklevel=4,
        )


def _check_finite(values: np.ndarray, what: str) -> None:
    """InputError at the first NaN or infinite value, naming its row (and column)."""
    if np.all(np.isfinite(values)):
        return
    flat = values.reshape(len(values), -1)
    row, column = (int(i[0]) for i in np.nonzero(~np.isfinite(flat)))
    where = f"row {row}" + (f", column {column}" if flat.shape[1] > 1 else "")
    raise InputError(f"{what} is NaN or infinite at {where}")


def _check_target_width(y: np.ndarray, what: str, model: Any) -> None:
    """The targets per row against a single-output model's output width."""
    outputs = getattr(model, "outputs", None) or []
    if len(outputs) != 1 or len(outputs[0].shape) != 2 or outputs[0].shape[-1] is None:
        return
    width = int(outputs[0].shape[-1])
    given = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
    if given != width:
        raise InputError(f"{what}: y has {given} target(s) per row, the model predicts {width}")


def _check_flagged(x: Any, y: Any, what: str, model: Any) -> Any:
    """``((codes, flags), y)`` checked against a model whose second input takes the flags."""
    if len(x) != 2:
        raise InputError(f"{what}: x must be one array or (codes, flags), got {len(x)} arrays")
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 2:
        raise InputError(f"{what}: (codes, flags) given, but the model has {len(inputs)} input(s)")
    codes, flags = np.asarray(x[0]), np.asarray(x[1], dtype="float32")
    expected = (len(codes), int(inputs[1].shape[-1]))
    if flags.shape != expected:
        raise InputError(f"{what}: flags have shape {flags.shape}, the model expects {expected}")
    codes, y = _check_plain(codes, y, what, model)
    return (codes, flags), y


def _split_validation(train: Any, validation: Any) -> tuple[Any, Any]:
    if isinstance(validation, numbers.Real) and not isinstance(validation, bool):
        validation = float(validation)  # numpy scalars too (np.float32(0.25))
        if not 0.0 < validation < 1.0:
            raise ParameterError(f"validation fraction must be in (0, 1), got {validation}")
        if not isinstance(train, (tuple, list)):
            raise ParameterError("a validation fraction needs train as an (x, y) pair")
        x, y = train
        if isinstance(x, tuple):
            raise ParameterError("a validation fraction needs x as one array, not (codes, flags)")
        n_val = int(round(len(x) * validation))
        if n_val == 0 or n_val == len(x):
            raise InputError(
                f"validation fraction {validation} of {len(x)} rows gives an empty split"
            )
        cut = len(x) - n_val  # row order, as the Metformin-121 split (last rows validate)
        return (x[:cut], y[:cut]), (x[cut:], y[cut:])
    return train, validation


def _architecture(model: Any) -> tuple[str, list[tuple[int, ...]]]:
    shapes = [tuple(int(d) for d in w.shape) for w in getattr(model, "weights", [])]
    return type(model).__name__, shapes


def _describe(model: Any) -> str:
    kind, shapes = _architecture(model)
    n = sum(int(np.prod(s)) for s in shapes)
    return f"a {kind} '{getattr(model, 'name', '?')}' with {n:,} parameters"


def reverse_strand(codes: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Sequence codes as uint8 and their reverse complements, as :func:`gexnb.train.fit` and
    :func:`gexnb.train.predict` take them with ``reverse_complement=True``: codes of any
    integer type (checked to lie in 0..5), padded on the left; ``what`` is named when the
    padding is elsewhere (right-padded codes came back as all padding; an API fault sweep).

    Parameters
    ----------
    codes
        Integer sequence codes ``(n, length)``, padded on the left.
    what
        The argument, named in the error (``"x"``, ``"train"``).

    Returns
    -------
    codes, reverse
        ``codes`` as uint8, and their reverse complements, padded on the left.

    Raises
    ------
    ParameterError
        ``codes`` is not a 2-D integer array.
    InputError
        A code outside 0..5, or codes padded on the right or between bases.
    """
    from gexnb.data.sequences import check_codes, reverse_complement

    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.dtype.kind not in "iu":
        raise ParameterError(
            f"reverse_complement needs uint8 sequence codes (n, length), got {codes.dtype} "
            f"{codes.shape}"
        )
    if codes.dtype != np.uint8:  # codes 0..5 in any integer type
        codes = check_codes(codes, what=what).astype(np.uint8)
    try:
        return codes, reverse_complement(codes, pad="left")
    except InputError as exc:
        problem = str(exc).split("; encode with")[0]
        raise InputError(
            f"{what}: {problem}; reverse_complement=True takes codes padded on the left "
            "(encode_sequences(..., pad='left'), the default)"
        ) from None


def with_reverse_complements(train: Any, what: str = "train") -> Any:
    """``(codes, y)`` followed by the reverse complements of the codes with the same targets.

    For ``((codes, flags), y)`` (a model with a flags input) the flags are repeated, with
    column 0, the reverse-strand flag, set to 1 for the reverse complements (the LegNet
    team's reverse channel).

    Parameters
    ----------
    train
        ``(codes, y)`` or ``((codes, flags), y)`` arrays.
    what
        The data's name in an error (``"train"``, ``"validation"``).

    Returns
    -------
    tuple
        The same structure with twice the rows: the forward strand, then the reverse one.

    Raises
    ------
    ParameterError
        ``train`` is not such a pair.
    """
    if not (isinstance(train, tuple) and len(train) == 2):
        raise ParameterError(f"reverse_complement needs the {what} data as (codes, y) arrays")
    x, y = train
    flags = None
    if isinstance(x, tuple) and len(x) == 2:
        x, flags = x[0], np.asarray(x[1], dtype="float32")
    x, reverse = reverse_strand(x, what)
    y = np.asarray(y)
    codes = np.concatenate([x, reverse])
    if flags is None:
        return codes, np.concatenate([y, y])
    reverse_flags = flags.copy()
    reverse_flags[:, 0] = 1.0
    return (codes, np.concatenate([flags, reverse_flags])), np.concatenate([y, y])
