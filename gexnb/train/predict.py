"""Loading gexnb models and predicting in batches, from arrays or files."""

from __future__ import annotations

import csv
import itertools
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb.errors import InputError, ParameterError
from gexnb.io import atomic_path, remove_stale_temporaries
from gexnb.models.saving import load_model
from gexnb.train.config import PREDICT_BATCH_SIZE
from gexnb.train.inputs import (
    _check_finite,
    _describe,
    _model_length,
    check_model_input,
    reverse_strand,
    takes_sequence_codes,
)

log = logging.getLogger(__name__)


def predict(
    model: Any,
    x: Any,
    *,
    batch_size: int = PREDICT_BATCH_SIZE,
    reverse_complement: bool = False,
    flags: np.ndarray | None = None,
) -> np.ndarray:
    """Predict in batches of ``batch_size`` (only one batch of inputs is converted at a time).

    Parameters
    ----------
    model
        A Keras model (or a path to a ``.keras`` file, loaded with :func:`load_model`).
    x
        An array (e.g. uint8 codes ``(n, length)``), a pandas DataFrame or Series (its
        values, in column order: a saved model has no gene names to match), or an iterable
        of arrays (chunks). Each array has one row per sample, shaped like the model input.
    batch_size
        Samples per forward pass (``model.predict_on_batch``).
    reverse_complement
        Average the predictions of each sequence and of its reverse complement (uint8 codes;
        the DREAM 2022 winners' test-time averaging, for models trained with
        ``reverse_complement=True``). Refused for a model that averages the strands itself
        (:func:`gexnb.models.layers.strand_averaged`, as notebook 02 saves LegNet and
        DREAM-CNN).
    flags
        For a model with a second input of per-sequence flags (``extra_channels`` of
        :func:`gexnb.models.legnet.build_legnet`; DREAM 2022: reverse-strand flag, singleton
        flag): ``(n, extra_channels)`` values. Default: zeros (forward strand, not a singleton,
        as the LegNet team predicted the test sequences). Column 0 is the reverse-strand flag:
        with ``reverse_complement`` it is set to 1 for the reverse strand. ``x`` must then be
        one array.

    Returns
    -------
    numpy.ndarray
        Float32 predictions, shape ``(n,)`` for a single output, else ``(n, outputs)``.

    Raises
    ------
    ParameterError
        ``model`` is not a Keras model, or averages the strands itself under
        ``reverse_complement``; ``x`` (or a chunk) is not numeric or has the wrong
        number of dimensions for the model input (e.g. 1-D ``x`` for a model taking
        ``(n, length)``).
    InputError
        A sample of the wrong shape, a NaN or infinite value, or (for a sequence model)
        values that are not sequence codes 0..5 (:func:`gexnb.train.check_model_input`).
    """
    if isinstance(model, (str, os.PathLike)):
        model = load_model(model, compile=False)
    if not hasattr(model, "predict_on_batch"):
        raise ParameterError(
            f"model must be a Keras model or a path to a .keras file, got "
            f"{type(model).__name__} (a classical baseline predicts with its own .predict)"
        )
    if int(batch_size) < 1:
        raise ParameterError(f"batch_size must be >= 1, got {batch_size}")
    if reverse_complement and _averages_strands(model):
        raise ParameterError(
            f"model {model.name!r} already averages each sequence's two strands (a "
            "strand_average layer: notebook 02's saved LegNet and DREAM-CNN); leave "
            "reverse_complement out"
        )
    if isinstance(x, (pd.DataFrame, pd.Series)):
        x = x.to_numpy()
    elif isinstance(x, list) and x and isinstance(x[0], (list, int, float, np.number)):
        x = np.asarray(x)  # rows as nested lists: one array, not chunks
    n_flags = flag_count(model)
    if n_flags or flags is not None:
        x = _with_flags(model, x, flags, n_flags)
        if reverse_complement:
            return _both_strands(model, x, int(batch_size))
        return _join(list(_predict_chunks(model, [x], int(batch_size))), model)
    chunked = not isinstance(x, np.ndarray)
    chunks = x if chunked else [x]
    if reverse_complement:
        parts = [_both_strands(model, chunk, int(batch_size)) for chunk in chunks]
    else:
        parts = list(_predict_chunks(model, chunks, int(batch_size), chunked=chunked))
    return _join(parts, model)


def _averages_strands(model: Any) -> bool:
    """Whether ``model`` is :func:`gexnb.models.layers.strand_averaged` (it averages the two
    strands itself: averaging again changed the strand flags and the predictions; found by a
    new-user trial)."""
    from gexnb.models.layers import ReverseStrand

    return any(isinstance(layer, ReverseStrand) for layer in getattr(model, "layers", ()))


#: The largest float32: a model computes in float32 (or less), so larger inputs become inf.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _join(parts: list[np.ndarray], model: Any = None) -> np.ndarray:
    """The predictions of all chunks; none: an empty array shaped as the model's output."""
    if parts:
        return np.concatenate(parts)
    outputs = getattr(model, "outputs", None) or []
    width = outputs[0].shape[-1] if len(outputs) == 1 and len(outputs[0].shape) == 2 else None
    return np.zeros((0,) if width in (None, 1) else (0, int(width)), dtype="float32")


def flag_count(model: Any) -> int:
    """Columns of a model's second input (per-sequence flags), 0 for a one-input model.

    Parameters
    ----------
    model
        A Keras model (one without symbolic inputs counts as a one-input model).

    Returns
    -------
    int
        Size of the last axis of the second input, or 0.
    """
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) < 2:
        return 0
    return int(inputs[1].shape[-1])


def _with_flags(model: Any, x: Any, flags: Any, n_flags: int) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, flags)`` for a model with a flags input (zeros when ``flags`` is None)."""
    if not n_flags:
        raise ParameterError(f"flags given, but {_describe(model)} has no flags input")
    if not isinstance(x, np.ndarray):
        raise ParameterError("a model with a flags input predicts one array of codes, not chunks")
    values = (
        np.zeros((len(x), n_flags), "float32") if flags is None else np.asarray(flags, "float32")
    )
    if values.shape != (len(x), n_flags):
        raise InputError(
            f"flags have shape {values.shape}; the model expects ({len(x)}, {n_flags})"
        )
    return x, values


def _both_strands(model: Any, chunk: Any, batch_size: int) -> np.ndarray:
    """Mean of the predictions of a chunk of codes and of their reverse complements (with
    flags: column 0, the reverse-strand flag, set to 1 for the reverse complements)."""
    codes, flags = chunk if isinstance(chunk, tuple) else (chunk, None)
    codes, reverse_codes = reverse_strand(codes, "x")
    if len(codes) == 0:
        return np.zeros((0,), dtype="float32")
    if flags is None:
        forward_input: Any = codes
        reverse_input: Any = reverse_codes
    else:
        reverse_flags = flags.copy()
        reverse_flags[:, 0] = 1.0
        forward_input, reverse_input = (codes, flags), (reverse_codes, reverse_flags)
    forward = np.concatenate(list(_predict_chunks(model, [forward_input], batch_size)))
    reverse = np.concatenate(list(_predict_chunks(model, [reverse_input], batch_size)))
    return (forward + reverse) / np.float32(2)


def predict_output(
    model: Any, x: Any, *, batch_size: int = PREDICT_BATCH_SIZE, output: int = 0
) -> np.ndarray:
    """One output column of :func:`predict`, as float64 ``(n,)`` (for explanations, viewers).

    Parameters
    ----------
    model, x, batch_size
        As for :func:`predict`.
    output
        Index of the output column (0 for a single-output model).

    Returns
    -------
    numpy.ndarray
        float64 ``(n,)``.
    """
    pred = predict(model, x, batch_size=batch_size)
    if len(pred) == 0:
        return np.zeros(0, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64).reshape(len(pred), -1)
    return pred[:, int(output)]


def _check_input_array(model: Any, arr: np.ndarray, what: str) -> None:
    """Refuse an input array that is not numeric or whose rank differs from the model's."""
    if arr.dtype.kind not in "biuf":
        raise ParameterError(f"{what} has dtype {arr.dtype}; the model takes numbers")
    try:
        expected = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError):
        return  # a subclassed model without symbolic inputs
    if arr.ndim != len(expected) + 1 and arr.size:
        dims = ", ".join(["n"] + ["any" if e is None else str(int(e)) for e in expected])
        raise ParameterError(
            f"{what} has shape {arr.shape}; the model expects an array of shape ({dims}), "
            "one row per sample"
        )


def _predict_chunks(
    model: Any, chunks: Iterable[Any], batch_size: int, *, chunked: bool = False
) -> Iterator[np.ndarray]:
    """Predictions per batch; a chunk is an array, or ``(codes, flags)`` for a flags input
    (``chunked``: ``x`` was an iterable of chunks, named so in error messages)."""
    for k, chunk in enumerate(chunks):
        parts = [np.asarray(a) for a in chunk] if isinstance(chunk, tuple) else [np.asarray(chunk)]
        arr = parts[0]
        what = f"chunk {k} of x" if chunked else "x"
        _check_input_array(model, arr, what)
        if arr.size:  # the per-sample shape, and codes 0..5 for a sequence model
            check_model_input(model, arr, what=what)
        if arr.dtype.kind == "f":
            _check_finite(arr, what)
            if arr.dtype.itemsize > 4 and arr.size and np.abs(arr).max() > _FLOAT32_MAX:
                raise InputError(f"{what} holds values beyond float32's range (up to 3.4e38)")
        for start in range(0, len(arr), batch_size):
            batch = [_padded(a[start : start + batch_size], batch_size) for a in parts]
            out = np.asarray(
                model.predict_on_batch(batch if len(batch) > 1 else batch[0]), "float32"
            )
            out = out[: len(arr[start : start + batch_size])]
            yield out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


def _padded(batch: np.ndarray, batch_size: int) -> np.ndarray:
    """``batch`` with rows of zeros appended up to a power of two (at most ``batch_size``,
    at least 32), so that a model sees few input shapes: TensorFlow traces its predict
    function once per shape (and warns about retracing after a few). The padding rows'
    outputs are dropped; in inference a row's output does not depend on the others."""
    n = len(batch)
    target = min(batch_size, max(32, 1 << max(0, n - 1).bit_length()))
    if n >= target:
        return batch
    pad = np.zeros((target - n, *batch.shape[1:]), dtype=batch.dtype)
    return np.concatenate([batch, pad])


def predict_file(
    model_path: str | os.PathLike,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    batch_size: int = PREDICT_BATCH_SIZE,
    too_long: str = "error",
    chunk_size: int = 100_000,
) -> int:
    """Predict every sequence of a file and write ``sequence<TAB>prediction`` TSV (with a
    header's other columns between them, as written).

    Streams: the input is read ``chunk_size`` lines at a time
    (:func:`gexnb.data.sequences.iter_sequence_chunks`), encoded to uint8 codes at the model
    length and predicted in batches, so memory does not grow with the file. The output is
    written to a temporary file and renamed when complete. Predictions are on the model's
    output scale: the models notebook 02 saves predict in the training data's expression
    units (the team's ``y / (2 median y)`` target is undone inside the saved model).

    Parameters
    ----------
    model_path
        A ``.keras`` file saved by gexnb.
    input_path
        Sequences, one per line (``sequence`` or ``sequence<TAB>expression``; see
        :func:`gexnb.data.sequences.read_sequences`), or a FASTA file
        (:func:`gexnb.data.fasta.iter_fasta`), whose names are written as an ``id`` column.
    output_path
        TSV to write: ``sequence``, then, for an input with a header, its other columns as
        written (identifiers, measured values, annotations: ``sequence<TAB>name<TAB>
        log2_ratio<TAB>prediction``), then ``prediction``. A file without a header gives
        ``sequence<TAB>prediction``. A ``.csv`` name gives the same comma-separated;
        ``.txt`` and ``.tab`` are tab-separated too; any other name is refused.
    batch_size
        Samples per forward pass, as for :func:`predict`.
    too_long
        ``"error"`` or ``"trim"`` for sequences longer than the model length.
    chunk_size
        Input lines read, encoded and predicted at a time.

    Returns
    -------
    int
        Number of sequences predicted.

    Raises
    ------
    InputError
        A bad line (invalid base, bytes that are not UTF-8, too long): the message names the
        file and line number; an input without data lines; an output that is the input or
        the model file, a folder or an existing non-regular file (a device such as
        ``/dev/null``, a named pipe): see :func:`_check_output`.
    ParameterError
        ``model_path`` not a path; ``batch_size``, ``chunk_size`` or ``too_long`` out of
        range.
    """
    from gexnb.data.sequences import encode_sequences

    if not isinstance(model_path, (str, os.PathLike)):
        raise ParameterError(
            f"model_path must be the path of a .keras file, got {type(model_path).__name__} "
            "(gexnb.train.predict takes a model)"
        )
    if too_long not in ("error", "trim"):
        raise ParameterError(f"too_long must be 'error' or 'trim', got {too_long!r}")
    for name, value in (("batch_size", batch_size), ("chunk_size", chunk_size)):
        if int(value) < 1:
            raise ParameterError(f"{name} must be >= 1, got {value}")
    _check_output(Path(output_path), input_path, model_path)
    suffix = Path(output_path).suffix.lower()
    if suffix not in _TEXT_SUFFIXES:  # x.parquet got tab-separated text (the review)
        raise InputError(
            f"a sequence model's predictions are written as text: name the file .tsv, .txt "
            f"or .csv, not {suffix or 'without an extension'}",
            path=str(output_path),
        )
    remove_stale_temporaries(output_path)  # of an earlier gexnb predict that was killed
    model = load_model(model_path, compile=False)
    length = _model_length(model)
    if length is None or not takes_sequence_codes(model):
        raise InputError(
            f"holds {_describe(model)} that does not take DNA sequences "
            "(gexnb predict is for sequence models such as metformin_bigru)",
            path=str(model_path),
        )
    if len(model.outputs) != 1 or tuple(model.outputs[0].shape[1:]) not in ((), (1,)):
        shapes = ", ".join(str(tuple(o.shape[1:])) for o in model.outputs)
        raise InputError(
            f"the model predicts {shapes} per sequence; gexnb predict writes one value per "
            "sequence (use gexnb.train.predict for several outputs)",
            path=str(model_path),
        )
    n = trimmed = 0
    with atomic_path(output_path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(
            handle, delimiter="," if suffix == ".csv" else "\t", lineterminator="\n"
        )
        columns: list[str] | None = None
        for frame in _sequence_frames(input_path, chunk_size):
            if columns is None:
                columns = _carried_columns(frame, input_path)
                writer.writerow([*columns, "prediction"])
            seqs = frame["sequence"].astype(str).tolist()
            try:
                codes = encode_sequences(seqs, length=length, too_long=too_long)
            except InputError as exc:
                lines = frame.index.tolist()  # file line numbers: blank lines skipped
                raise _locate(exc, seqs, lines, length, too_long, input_path) from None
            trimmed += sum(len(s) > length for s in seqs)
            preds = predict(model, codes, batch_size=batch_size)
            carried = [frame[c].tolist() for c in columns]
            writer.writerows(
                [*row, f"{p:.6g}"] for *row, p in zip(*carried, preds.tolist(), strict=True)
            )
            n += len(seqs)
    if trimmed:  # --too-long trim (else the first one was an error)
        log.warning(
            "%s: %d of %d sequences longer than the model's %d bases were predicted from "
            "their last %d",
            input_path, trimmed, n, length, length,
        )  # fmt: skip
    return n


def _sequence_frames(input_path: Any, chunk_size: int) -> Iterator[pd.DataFrame]:
    """The input of :func:`predict_file` ``chunk_size`` sequences at a time, indexed by line:
    a sequence file's chunks as text, or a FASTA file's records as ``sequence``, ``id`` (the
    line of each record's ``>`` line)."""
    from gexnb.data.fasta import is_fasta, iter_fasta
    from gexnb.data.sequences import iter_sequence_chunks

    if not is_fasta(input_path):
        for _, frame in iter_sequence_chunks(
            input_path, chunk_size=chunk_size, require_expression=False, as_text=True
        ):
            yield frame
        return
    records = iter_fasta(input_path)
    if (first := next(records, None)) is None:
        raise InputError("no FASTA record ('>' line) in the file", path=str(input_path))
    records = itertools.chain([first], records)
    while chunk := list(itertools.islice(records, int(chunk_size))):
        names, sequences, lines = zip(*chunk, strict=True)
        yield pd.DataFrame(
            {"sequence": list(sequences), "id": list(names)},
            index=pd.Index(lines, name="line"),
        )


#: Output names :func:`predict_file` writes (``.csv`` comma-separated, the others tabs).
_TEXT_SUFFIXES = (".tsv", ".txt", ".tab", ".csv")


def _carried_columns(frame: Any, input_path: Any) -> list[str]:
    """The input columns :func:`predict_file` writes before each prediction: the sequence,
    then a header's other columns as written, but one named ``prediction`` (logged)."""
    columns = [str(c) for c in frame.columns]
    clash = [c for c in columns if c.casefold() == "prediction"]
    if clash:
        log.warning(
            "%s: its column %r is not copied to the output, whose 'prediction' column is the "
            "model's",
            input_path,
            clash[0],
        )
    return [c for c in columns if c not in clash]


#: Kinds of file that are not regular files, for :func:`_check_output`'s message.
_SPECIAL_FILES = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_output(output: Path, input_path: Any, model_path: Any) -> None:
    """Refuse an output path that :func:`predict_file` must not replace.

    The output is written to a temporary file renamed onto ``output``, so it would replace
    whatever is there: refused are a folder, a missing folder or a file in its place, the
    input file or the model file (also through a symbolic or hard link, or ``..``) and an
    existing path that is not a regular file (a device such as ``/dev/null``, a named pipe,
    a socket). A symbolic link to another regular file is replaced by the output.

    Raises
    ------
    InputError
        Naming ``output`` and what it is.
    """
    if output.is_dir():
        raise InputError("is a folder; give the name of the TSV file to write", path=str(output))
    if output.parent.exists() and not output.parent.is_dir():
        raise InputError(f"{output.parent} is a file, not a folder", path=str(output))
    if not output.parent.exists():
        raise InputError(f"folder {output.parent} does not exist", path=str(output))
    if not output.exists():
        return
    for other, what in ((input_path, "input"), (model_path, "model")):
        if Path(other).exists() and output.samefile(other):
            raise InputError(
                f"is the {what} file ({other}); give another output name", path=str(output)
            )
    mode = output.stat().st_mode
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _SPECIAL_FILES if test(mode)), "a special file")
        raise InputError(
            f"is {kind}, not a regular file; gexnb predict would replace it with its TSV: "
            "give the name of a file to write",
            path=str(output),
        )


def _locate(
    exc: InputError, seqs: list[str], lines: list[int], length: int, too_long: str, path: Any
) -> InputError:
    """Turn an encoding error of a chunk into one naming the file and line (``lines``: the
    file line number of each of ``seqs``): a sequence longer than the model's (the readers
    have checked the bases of every line already)."""
    if exc.line is not None and exc.path is not None:
        return exc
    from gexnb.data.sequences import _also_in

    if too_long == "error":
        over = np.flatnonzero(np.fromiter(map(len, seqs), dtype=np.int64) > length)
        if over.size:
            return InputError(
                f"sequence of length {len(seqs[over[0]])} is longer than the model length "
                f"{length} (gexnb predict --too-long trim, or too_long='trim' in Python)"
                + _also_in(over, np.asarray(lines), "lines", checked_to=lines[-1]),
                path=str(path),
                line=lines[over[0]],
            )
    return InputError(str(exc), path=str(path), line=lines[0])
