"""A trained landmark model with its preprocessing, saved to infer target genes of new samples.

The D-GEX use (Chen et al. 2016): a model trained in notebook 03 maps ~1,000 measured
landmark genes to the target genes of samples it has never seen, e.g. an L1000 profile or a
new study. Notebook 03 saves the models named in its ``save`` parameter (``models``) as
``models/<split>/<model>/predictor.json`` (the preprocessing) beside the model itself
(``predictor.keras`` for a deep model, ``predictor.joblib`` for a scikit-learn baseline);
``gexnb predict --model <that folder>`` and :meth:`LandmarkPredictor.predict` apply it.

A new sample goes through the training's own steps, with the training's statistics:

1. the matrix is read with the readers' checks, and its landmark columns are found by any
   identifier of the training's landmark list (symbol, Ensembl id or probe id);
2. the training's transform (``log2(max(x, 1))`` or none, as resolved there, not guessed
   again);
3. quantile normalisation, when the training used it: the landmarks alone, mapped onto the
   training landmarks' own distribution (:attr:`~gexnb.data.landmark.PreparedSplit.x_reference`),
   as notebook 03 normalised its own samples' inputs (gexnb's choice: the D-GEX paper
   normalised each sample over its landmark *and* target genes, which a new sample, without
   targets, cannot be; the ``paper`` profile does, and each run measures what the difference
   costs on its held-out samples: the metric ``mae_expr_saved``, the same as ``mae_expr``
   otherwise);
4. the training landmarks' z-scores; the model; the targets back on the training's
   expression scale (the log2, quantile-normalised values the notebook's ``mae_expr`` is on).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gexnb.errors import InputError, ParameterError
from gexnb.io import atomic_path, write_json_atomic

__all__ = [
    "PREDICTOR_JSON",
    "BLOCK_SAMPLES",
    "MISSING_LANDMARK_VALUES",
    "LandmarkPredictor",
    "is_predictor",
    "check_model_path",
    "predictor_from_split",
    "saved_predictors",
    "load_predictor",
    "predict_landmark_file",
]

#: The preprocessing file of a saved predictor; the model is ``predictor.keras`` or
#: ``predictor.joblib`` beside it.
PREDICTOR_JSON = "predictor.json"
#: ``format`` of :data:`PREDICTOR_JSON`, and its version.
FORMAT, VERSION = "gexnb-landmark-predictor", 1
_KERAS_FILE, _JOBLIB_FILE = "predictor.keras", "predictor.joblib"
#: Samples predicted and written at a time by :func:`predict_landmark_file`: the predictions
#: in memory are this many x the targets (8,192 x 9,520 float64: 0.6 GB), whatever the file.
BLOCK_SAMPLES = 8192
#: What :meth:`LandmarkPredictor.inputs` (``gexnb predict --nan``) does with a sample's
#: missing landmark value: ``"error"`` (refuse, naming the genes and samples; the default),
#: ``"mean"`` (the gene's mean over the matrix's samples; gexnb's choice, not the paper's) or
#: ``"drop_samples"`` (such samples are not predicted). A missing value in another gene is
#: never read.
MISSING_LANDMARK_VALUES = ("error", "mean", "drop_samples")

log = logging.getLogger(__name__)


@dataclass
class LandmarkPredictor:
    """A fitted landmark -> target model and the preprocessing of its training split.

    Parameters
    ----------
    model_name, model, landmark_ids, targets, transform, quantile_reference, x_center, \
x_scale, y_center, y_scale, source, input_max, input_min, median_z_max
        Set the attributes of the same names (see Attributes).

    Attributes
    ----------
    model_name
        The model's registry name (``dgex``, ``ridge``, ...).
    model
        A Keras model or a fitted gexnb scikit-learn baseline.
    landmark_ids
        One row per model input, in input order: ``id`` (the training matrix's column) and the
        landmark list's ``symbol``, ``ensembl``, ``probe`` (None where unknown).
    targets
        The target genes predicted, in output order.
    transform
        ``"log2"`` or ``"none"``: the transform the training applied.
    quantile_reference
        Sorted landmark reference of the quantile normalisation, or None.
    x_center, x_scale, y_center, y_scale
        The training statistics of the landmarks and targets, or None (no z-scores).
    source
        Where the model comes from (notebook, split, data, normalisation), for the record.
    input_max
        The largest landmark value of the training file, as given (before the transform):
        new samples on another scale are refused (:meth:`inputs`). None: not checked.
    input_min
        The smallest landmark value of the training file, for a model that takes the values
        as given (transform ``none``): new samples with more than 1 % of their landmark
        values below 0, for a model trained on none, are refused (z-scores or log ratios
        given to a model of log expression). None: not checked.
    median_z_max
        The largest |median landmark z-score| of a training sample: new samples far beyond
        it are refused (:func:`_check_shift`). None (a predictor saved before it was
        recorded): :data:`MAX_MEDIAN_Z` alone.
    """

    model_name: str
    model: Any
    landmark_ids: pd.DataFrame
    targets: list[str]
    transform: str = "none"
    quantile_reference: np.ndarray | None = None
    x_center: np.ndarray | None = None
    x_scale: np.ndarray | None = None
    y_center: np.ndarray | None = None
    y_scale: np.ndarray | None = None
    source: dict[str, Any] = field(default_factory=dict)
    input_max: float | None = None
    input_min: float | None = None
    median_z_max: float | None = None

    @property
    def is_keras(self) -> bool:
        """Whether the model is a Keras model (else a scikit-learn baseline)."""
        import keras

        return isinstance(self.model, keras.Model)

    def inputs(
        self,
        expression: pd.DataFrame,
        *,
        path: str | os.PathLike | None = None,
        transformed: bool = False,
        nan: str = "error",
    ) -> pd.DataFrame:
        """The model's inputs for new samples: landmark columns found, transformed,
        quantile-normalised and z-scored with the training statistics.

        Parameters
        ----------
        expression
            Samples x genes matrix (other genes are ignored, missing values included).
        path
            Its file, named in errors.
        transformed
            The values already had the training's transform (the notebook's own samples).
        nan
            A missing landmark value: one of :data:`MISSING_LANDMARK_VALUES`.

        Returns
        -------
        pandas.DataFrame
            Samples x landmarks (the training's ids), float64; under ``nan="drop_samples"``
            without the samples missing a landmark value (logged).

        Raises
        ------
        InputError
            A landmark gene absent from the matrix (the error names them and the identifier
            kinds tried); a missing landmark value under ``nan="error"`` (or, under
            ``"mean"``, a landmark with no value at all; under ``"drop_samples"``, no sample
            left); an infinite landmark value; values on another scale than the training's
            (log against linear, z-scores, or a sample whose median landmark z-score is
            beyond :data:`MAX_MEDIAN_Z`).
        ParameterError
            ``nan`` not one of :data:`MISSING_LANDMARK_VALUES`.
        """
        from gexnb.data import expression as ex

        _check_nan(nan)
        columns = self.matrix_columns(expression, path=path)
        repeated = expression.columns[expression.columns.duplicated()].intersection(columns)
        if len(repeated):
            raise InputError(
                f"landmark gene(s) with several columns: {', '.join(map(str, repeated[:5]))}; "
                "average them first (read_expression does: duplicates mean)",
                path=path,
            )
        frame = _fill_missing(expression.loc[:, columns].astype("float64"), nan, path)
        frame.columns = pd.Index(self.landmark_ids["id"].astype(str))
        if not transformed:
            self._check_scale(frame, path)
            if self.transform == "log2":
                frame, _ = ex.transform_expression(frame, "log2", source=_named(path))
        flat = frame.nunique(axis=1) <= 1
        if flat.any():
            raise InputError(
                f"{int(flat.sum())} sample(s) hold one value for every landmark gene, which "
                f"tells nothing of their targets: {', '.join(map(str, frame.index[flat][:5]))}",
                path=path,
            )
        if self.quantile_reference is not None:
            frame = ex.quantile_normalize(frame, reference=self.quantile_reference)
        if self.x_center is not None and self.x_scale is not None:
            frame = (frame - self.x_center) / self.x_scale
            if not transformed:
                _check_shift(frame, path, self.median_z_max)
        return frame

    def matrix_columns(
        self, expression: pd.DataFrame, *, path: str | os.PathLike | None = None
    ) -> list[str]:
        """The matrix column of each model input, found by any identifier of the landmark.

        Parameters
        ----------
        expression
            Samples x genes matrix; only its column ids are used (it may have no rows).
        path
            Its file, named in errors.

        Returns
        -------
        list of str
            One column per model input, in input order.

        Raises
        ------
        InputError
            A landmark gene absent (the error names them and the identifier kinds tried).
        """
        from gexnb.data import expression as ex

        match = ex.check_gene_list(
            expression,
            self.landmark_ids.drop(columns=["id"]),
            label="landmark",
            path=path,
            dropped=expression.attrs.get("dropped_for_nan", ()),
            list_is_fixed=True,
        )
        return self._columns(expression, match.id_type, path)

    def _columns(self, expression: pd.DataFrame, first: str, path: Any) -> list[str]:
        """The matrix column of each model input: by the identifier kind that matched most
        (``first``), else by another of the landmark's identifiers (a list row without an id
        of that kind)."""
        from gexnb.data.expression import match_genes
        from gexnb.data.expression.genes import ID_TYPES

        kinds = [first, *(k for k in ID_TYPES if k != first and k in self.landmark_ids)]
        found = {}
        for kind in kinds:
            ids = [i for i in self.landmark_ids[kind] if isinstance(i, str) and i]
            match = match_genes(expression, ids) if ids else None
            found[kind] = {} if match is None else dict(zip(match.labels, match.found, strict=True))
        columns, absent = [], []
        for _, row in self.landmark_ids.iterrows():
            hit = next(
                (found[k][row[k]] for k in kinds if isinstance(row[k], str) and row[k] in found[k]),
                None,
            )
            columns.append(hit)
            if hit is None:
                absent.append(str(row["id"]))
        if absent:
            raise InputError(
                f"{len(absent)} landmark gene(s) have no identifier among the matrix columns: "
                f"{', '.join(absent[:10])}",
                path=path,
            )
        repeated = pd.Series(columns).duplicated(keep=False)
        if repeated.any():
            log.warning(
                "%d model inputs (e.g. %s) read the same matrix column as another input (one "
                "gene id for several training probes): each gets that column",
                int(repeated.sum()),
                ", ".join(self.landmark_ids["id"][repeated.to_numpy()].astype(str)[:4]),
            )
        return [str(c) for c in columns]

    def _check_scale(self, frame: pd.DataFrame, path: Any) -> None:
        """Refuse landmark values on another scale than the training file's: the log of
        linear-scale values like the training file's, or linear values (above
        :data:`gexnb.data.expression.normalize.AUTO_LOG_ABOVE`, the threshold of ``transform:
        auto``) for a model trained on log values as given. The file's largest value is its
        :func:`~gexnb.data.expression.normalize.robust_max`, as ``auto`` sees it: a few
        stray values do not make a log file linear-scale."""
        from gexnb.data.expression.normalize import AUTO_LOG_ABOVE, robust_max

        if frame.empty:
            return
        values = frame.to_numpy()
        if self.input_min is not None and self.input_min >= 0:
            negative = int(np.count_nonzero(values < 0))
            if negative > 0.01 * values.size:
                lowest = float(np.nanmin(values))
                raise InputError(
                    f"{negative} of its {values.size} landmark values "
                    f"({negative / values.size:.0%}) are below 0, down to {lowest:.3g}: "
                    "z-scores or log ratios? This model was trained on values from "
                    f"{self.input_min:.3g} up, none below 0; give the values on the training "
                    "file's scale",
                    path=path,
                )
        if self.input_max is None:
            return
        largest = robust_max(values)
        if self.input_max > AUTO_LOG_ABOVE and largest <= np.log2(self.input_max) + 1:
            raise InputError(
                f"the landmark values reach only {largest:.3g}: a log scale? This model was "
                f"trained on linear-scale values (up to {self.input_max:.4g})"
                + (" and applies log2 itself" if self.transform == "log2" else "")
                + "; give the values before the log",
                path=path,
            )
        if (
            self.transform == "none"
            and self.input_max <= AUTO_LOG_ABOVE
            and largest > AUTO_LOG_ABOVE
        ):
            raise InputError(
                f"the landmark values reach {largest:.4g}: a linear scale? This model was "
                f"trained on values up to {self.input_max:.3g} (a log scale), as given; take "
                "the log of the file as its training data had it",
                path=path,
            )

    def rows_are_landmarks(self, rows: Sequence[str], columns: Sequence[str]) -> bool:
        """Whether more landmark genes are among a matrix's row ids than among its column ids
        (a genes x samples matrix read as samples x genes).

        Parameters
        ----------
        rows, columns
            The matrix's row and column ids, as stored in its file.

        Returns
        -------
        bool
        """
        from gexnb.data.expression import match_genes

        table = self.landmark_ids.drop(columns=["id"])
        in_rows = match_genes(list(rows), table)
        return len(in_rows.found) > len(match_genes(list(columns), table).found)

    def predict(
        self,
        expression: pd.DataFrame,
        *,
        batch_size: int | None = None,
        path: str | os.PathLike | None = None,
        transformed: bool = False,
        nan: str = "error",
    ) -> pd.DataFrame:
        """Target genes of new samples, on the training's expression scale.

        Parameters
        ----------
        expression
            Samples x genes matrix holding every landmark gene (by any of its identifiers).
        batch_size
            Samples per forward pass of a Keras model (default
            :data:`gexnb.train.PREDICT_BATCH_SIZE`).
        path
            The matrix's file, named in errors.
        transformed, nan
            As for :meth:`inputs`.

        Returns
        -------
        pandas.DataFrame
            Samples x targets, float64.
        """
        inputs = self.inputs(expression, path=path, transformed=transformed, nan=nan)
        return self.outputs(inputs, batch_size=batch_size)

    def outputs(self, inputs: pd.DataFrame, *, batch_size: int | None = None) -> pd.DataFrame:
        """Target genes from the model's inputs (:meth:`inputs`), on the expression scale.

        Parameters
        ----------
        inputs
            Samples x landmarks as :meth:`inputs` gives them.
        batch_size
            As for :meth:`predict`.

        Returns
        -------
        pandas.DataFrame
            Samples x targets, float64.
        """
        from gexnb import train

        x = inputs.to_numpy(dtype="float32")
        if self.is_keras:
            size = train.PREDICT_BATCH_SIZE if batch_size is None else int(batch_size)
            y = np.asarray(train.predict(self.model, x, batch_size=size), dtype="float64")
        else:
            y = np.asarray(self.model.predict(x), dtype="float64")
        y = y.reshape(len(x), -1)
        if self.y_center is not None and self.y_scale is not None:
            y = y * self.y_scale + self.y_center
        return pd.DataFrame(y, index=inputs.index, columns=pd.Index(self.targets))

    def save(self, folder: str | os.PathLike) -> list[Path]:
        """Write :data:`PREDICTOR_JSON` and the model into ``folder``, each atomically.

        Parameters
        ----------
        folder
            The model's folder (created if needed).

        Returns
        -------
        list of pathlib.Path
            The two files written.
        """
        out = Path(folder)
        if self.is_keras:
            model_file = out / _KERAS_FILE
            # rebuilt from its config, uncompiled: the weights without the optimizer's state
            # (keras.models.clone_model compiles the clone like the original)
            bare = type(self.model).from_config(self.model.get_config())
            if not bare.built:  # a subclassed model (E-GEX) builds on its first call
                bare(np.zeros((1, len(self.landmark_ids)), dtype="float32"))
            bare.set_weights(self.model.get_weights())
            with atomic_path(model_file, suffix=".keras") as tmp:
                bare.save(tmp)
        else:
            import joblib

            model_file = out / _JOBLIB_FILE
            with atomic_path(model_file) as tmp:
                joblib.dump(self.model, tmp)
        (out / (_JOBLIB_FILE if self.is_keras else _KERAS_FILE)).unlink(missing_ok=True)

        def listed(values: np.ndarray | None) -> list[float] | None:
            return None if values is None else [float(v) for v in values]

        record = {
            "format": FORMAT,
            "version": VERSION,
            "model": self.model_name,
            "model_file": model_file.name,
            "transform": self.transform,
            "landmarks": {
                column: [None if v is None else str(v) for v in self.landmark_ids[column]]
                for column in self.landmark_ids.columns
            },
            "targets": list(self.targets),
            "quantile_reference": listed(self.quantile_reference),
            "x_center": listed(self.x_center),
            "x_scale": listed(self.x_scale),
            "y_center": listed(self.y_center),
            "y_scale": listed(self.y_scale),
            "source": self.source,
            "input_max": self.input_max,
            "input_min": self.input_min,
            "median_z_max": self.median_z_max,
        }
        return [model_file, write_json_atomic(out / PREDICTOR_JSON, record)]


def _transform_of(report_transform: str) -> str:
    """``"log2"`` or ``"none"`` from a data report's ``transform`` entry."""
    return "log2" if str(report_transform).startswith("log2") else "none"


def predictor_from_split(
    name: str,
    model: Any,
    prepared: Any,
    *,
    landmark_ids: pd.DataFrame | None,
    target_indices: Any = None,
    report: dict[str, Any] | None = None,
    source: dict[str, Any] | None = None,
    input_max: float | None = None,
    input_min: float | None = None,
) -> LandmarkPredictor:
    """The predictor of a model fitted on one prepared split of notebook 03.

    Parameters
    ----------
    name
        The model's registry name.
    model
        The fitted model (Keras, or a gexnb scikit-learn baseline).
    prepared
        The :class:`gexnb.data.landmark.PreparedSplit` it was fitted on.
    landmark_ids
        :attr:`gexnb.data.landmark.LandmarkData.landmark_ids` (None: the column names).
    target_indices
        Columns of ``prepared.targets`` the model predicts (None: all).
    report
        The data report (its ``transform`` is the one applied to new samples).
    source
        Recorded in the predictor (notebook, split, ...).
    input_max
        The largest landmark value of the training file before its transform
        (:attr:`LandmarkPredictor.input_max`).
    input_min
        The smallest, for a model taking the values as given
        (:attr:`LandmarkPredictor.input_min`).

    Returns
    -------
    LandmarkPredictor
    """
    from gexnb.data.expression import gene_list_rows

    lm = list(prepared.landmarks)
    if landmark_ids is None:
        ids = gene_list_rows(lm, _guess_type(lm), lm)
    else:
        ids = landmark_ids.set_index("id", drop=False).loc[lm].reset_index(drop=True)
    idx = np.arange(len(prepared.targets)) if target_indices is None else np.asarray(target_indices)
    reference = prepared.x_reference
    if (
        reference is None
        and prepared.quantile
        and prepared.x_scale is not None
        and prepared.x_center is not None
    ):
        # a split restricted to fewer landmarks: the mean sorted profile of the samples the
        # training statistics came from (the training split, or every split under "all")
        fitted = prepared.x.keys() if prepared.normalization == "all" else ["train"]
        rows = np.concatenate([prepared.x[k] for k in dict.fromkeys(fitted)])
        normalised = rows * prepared.x_scale + prepared.x_center
        reference = np.sort(normalised.astype("float64"), axis=1).mean(axis=0)
    y_scale = None if prepared.y_scale is None else np.asarray(prepared.y_scale)[idx]
    y_center = None if prepared.y_center is None else np.asarray(prepared.y_center)[idx]
    median_z_max = None
    if prepared.x_scale is not None and len(prepared.x["train"]):
        median_z_max = float(np.abs(np.median(prepared.x["train"], axis=1)).max())
    return LandmarkPredictor(
        name,
        model,
        ids,
        [prepared.targets[i] for i in idx],
        _transform_of((report or {}).get("transform", "none")),
        reference,
        prepared.x_center,
        prepared.x_scale,
        y_center,
        y_scale,
        {"split": prepared.name, "normalization": prepared.description, **(source or {})},
        input_max,
        input_min,
        median_z_max,
    )


def _landmark_rows(
    predictor: LandmarkPredictor, path: str | os.PathLike, orientation: str = "auto"
) -> list[str] | None:
    """The gene ids of a GCTX file (rows), an ``.h5ad`` file (``var``), a parquet or HDF5
    file (columns) or a plain numeric text table (its rows when ``orientation`` or, under
    ``"auto"``, :meth:`LandmarkPredictor.rows_are_landmarks` says they are genes, else its
    columns) that the landmarks need, found from its ids alone, so that only those genes
    are read; None for other files, and when the landmarks are not all among the gene ids
    (the whole file is then read, and its errors are the reader's)."""
    from gexnb.data.expression import expression_gene_ids, expression_table_ids

    ids = expression_gene_ids(path)
    if ids is None:
        try:
            table = expression_table_ids(path)
        except InputError:
            return None  # the reader names the problem
        if table is None:
            return None
        rows, columns = table
        if orientation == "auto":
            in_rows = predictor.rows_are_landmarks(rows, columns)
        else:
            in_rows = orientation == "genes_x_samples"
        ids = rows if in_rows else columns
    shell = pd.DataFrame(np.empty((0, len(ids))), columns=pd.Index(ids, dtype=object))
    try:
        return predictor.matrix_columns(shell, path=path)
    except InputError:
        return None


def _check_nan(nan: str) -> None:
    if nan not in MISSING_LANDMARK_VALUES:
        raise ParameterError(f"nan must be one of {', '.join(MISSING_LANDMARK_VALUES)}: {nan!r}")


def _fill_missing(frame: pd.DataFrame, nan: str, path: Any) -> pd.DataFrame:
    """The landmark columns ``frame`` (the matrix's own ids) after the missing-value policy
    ``nan`` (:data:`MISSING_LANDMARK_VALUES`); infinite values are refused."""
    from gexnb.data.expression._common import _preview

    values = frame.to_numpy()
    infinite = np.isinf(values)
    if infinite.any():
        genes = frame.columns[infinite.any(axis=0)]
        raise InputError(
            f"infinite values in {len(genes)} landmark gene(s): {_preview(genes)}", path=path
        )
    missing = np.isnan(values)
    if not missing.any():
        return frame
    genes, rows = frame.columns[missing.any(axis=0)], missing.any(axis=1)
    what = (
        f"{int(missing.sum())} missing value(s) in {len(genes)} landmark gene(s) "
        f"({_preview(genes)}), in {int(rows.sum())} of {len(frame)} sample(s) "
        f"({_preview(frame.index[rows])})"
    )
    if nan == "error":
        raise InputError(
            what + ": the model needs every landmark value (nan: mean fills a gene's missing "
            "values with its mean over the matrix's samples, drop_samples leaves those "
            "samples out; gexnb predict --nan mean or --nan drop_samples)",
            path=path,
        )
    if nan == "drop_samples":
        if rows.all():
            raise InputError(what + ": no sample has every landmark value", path=path)
        log.warning("%s: %s; those samples are not predicted", path or "matrix", what)
        return frame.loc[~rows]
    empty = genes[missing[:, missing.any(axis=0)].all(axis=0)]
    if len(empty):
        raise InputError(
            f"{len(empty)} landmark gene(s) with no value in any sample, so no mean to fill "
            f"them with: {_preview(empty)}",
            path=path,
        )
    log.warning("%s: %s, filled with the gene's mean over the samples", path or "matrix", what)
    filled = np.where(missing, np.nanmean(values, axis=0), values)
    return pd.DataFrame(filled, index=frame.index, columns=frame.columns)


def _guess_type(ids: list[str]) -> str:
    from gexnb.data.expression.genes import _guess_id_type

    return _guess_id_type(ids)


#: A new sample whose median landmark z-score (on the training's statistics) lies further
#: from 0 than this, and than 1.5 times the training samples' own largest
#: (:attr:`LandmarkPredictor.median_z_max`), is on another scale (:func:`_check_shift`).
MAX_MEDIAN_Z = 4.0


def _check_shift(z: pd.DataFrame, path: Any, median_z_max: float | None = None) -> None:
    """Refuse samples whose typical landmark lies far from the training mean, in training
    sd: beyond :data:`MAX_MEDIAN_Z` and 1.5 times the training samples' own largest
    |median z| (a small study within the training data sits far out by construction):
    values scaled by another factor (x100) for a model without quantile normalisation, which
    a new-user trial saw predicted without a word (``docs/reliability.md``). With quantile
    normalisation the median is near 0.
    """
    limit = max(MAX_MEDIAN_Z, 1.5 * (median_z_max or 0.0))
    median = z.median(axis=1)
    far = median.abs() > limit
    if far.any():
        named = ", ".join(map(str, z.index[far][:3]))
        raise InputError(
            f"{int(far.sum())} of {len(z)} sample(s) have landmark values far from the "
            f"training's: their median z-score on the training statistics is "
            f"{median[far].min():.3g} to {median[far].max():.3g} (e.g. {named}; the "
            f"training samples' reach {median_z_max or 0:.3g}, the limit is {limit:.3g}); "
            "values on another scale (another normalisation, a scale factor)? Give them on "
            "the training file's scale, or retrain with quantile: true",
            path=path,
        )


def _named(path: Any) -> str | None:
    return None if path is None else str(path)


def _record_file(path: str | os.PathLike) -> Path:
    """The :data:`PREDICTOR_JSON` of a predictor given by its folder, its JSON or its model."""
    p = Path(path)
    if p.is_dir():
        return p / PREDICTOR_JSON
    if p.name in (_KERAS_FILE, _JOBLIB_FILE):
        return p.parent / PREDICTOR_JSON
    return p


def is_predictor(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a saved landmark predictor: its folder, its ``predictor.json`` or
    its model file (``predictor.keras``, ``predictor.joblib``) beside that JSON.

    Parameters
    ----------
    path
        A path given to ``gexnb predict --model``.

    Returns
    -------
    bool
    """
    p = Path(path)
    if p.is_dir() or p.name in (_KERAS_FILE, _JOBLIB_FILE):
        return _record_file(p).is_file()
    return p.name == PREDICTOR_JSON


def check_model_path(path: str | os.PathLike) -> None:
    """Refuse, for ``gexnb predict --model``, a folder that holds no saved landmark model and
    a training checkpoint beside one (a sequence model's ``.keras`` passes).

    Parameters
    ----------
    path
        The path given.

    Raises
    ------
    InputError
        Naming the path and what to give instead.
    """
    p = Path(path)
    if is_predictor(p):
        return
    if p.is_dir():
        raise InputError(
            f"is a folder without {PREDICTOR_JSON}: give a landmark model's folder that "
            "notebook 03 saved (the models of its save parameter) or a .keras sequence model",
            path=str(p),
        )
    if (p.parent / PREDICTOR_JSON).is_file():
        raise InputError(
            f"is a training checkpoint of a landmark model; give its folder, {p.parent} "
            f"(its {PREDICTOR_JSON})",
            path=str(p),
        )


def saved_predictors(output_dir: str | os.PathLike) -> list[Path]:
    """The predictor folders a notebook 03 run saved (``models/<split>/<model>``).

    Parameters
    ----------
    output_dir
        The run folder.

    Returns
    -------
    list of pathlib.Path
        Sorted folders holding :data:`PREDICTOR_JSON`.
    """
    return sorted(p.parent for p in Path(output_dir).glob(f"models/*/*/{PREDICTOR_JSON}"))


def _numbers(record: dict[str, Any], key: str, n: int, where: Path) -> np.ndarray | None:
    """``record[key]``: None, or ``n`` finite numbers."""
    values = record.get(key)
    if values is None:
        return None
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise InputError(f"{key} holds values that are not numbers", path=str(where)) from None
    if array.shape != (n,) or not np.isfinite(array).all():
        raise InputError(
            f"{key} must be {n} finite numbers, one per "
            f"{'landmark' if key.startswith(('x_', 'quantile')) else 'target'} gene "
            f"(holds {array.size})",
            path=str(where),
        )
    return array


def _checked(record: Any, where: Path) -> dict[str, Any]:
    """The parts of a :data:`PREDICTOR_JSON` record, each checked (one error naming the key)."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise InputError("is not a gexnb landmark predictor", path=str(where))
    version = record.get("version")
    if not isinstance(version, int):
        raise InputError(f"version {version!r} is not a whole number", path=str(where))
    if version > VERSION:
        raise InputError(
            f"was written by a newer gexnb (format version {version}); upgrade gexnb",
            path=str(where),
        )
    if record.get("model_file") not in (_KERAS_FILE, _JOBLIB_FILE):
        raise InputError(
            f"model_file must be {_KERAS_FILE} or {_JOBLIB_FILE} (beside it), got "
            f"{record.get('model_file')!r}",
            path=str(where),
        )
    if record.get("transform") not in ("log2", "none"):
        raise InputError(
            f"transform must be 'log2' or 'none', got {record.get('transform')!r}",
            path=str(where),
        )
    landmarks, targets = record.get("landmarks"), record.get("targets")
    columns = {"id", "symbol", "ensembl", "probe"}
    if (
        not isinstance(landmarks, dict)
        or "id" not in landmarks
        or not set(landmarks) <= columns
        or not all(isinstance(v, list) for v in landmarks.values())
        or len({len(v) for v in landmarks.values()}) != 1
        or not landmarks["id"]
    ):
        raise InputError(
            "landmarks must map 'id' (and any of symbol, ensembl, probe) to lists of one "
            "length, one entry per model input",
            path=str(where),
        )
    if not isinstance(targets, list) or not targets:
        raise InputError("targets must be a list of the target genes", path=str(where))
    n_in, n_out = len(landmarks["id"]), len(targets)
    parts = {
        key: _numbers(record, key, n, where)
        for key, n in (
            ("quantile_reference", n_in),
            ("x_center", n_in),
            ("x_scale", n_in),
            ("y_center", n_out),
            ("y_scale", n_out),
        )
    }
    for center, scale in (("x_center", "x_scale"), ("y_center", "y_scale")):
        if (parts[center] is None) != (parts[scale] is None):
            raise InputError(f"{center} and {scale} must be given together", path=str(where))
        spread = parts[scale]
        if spread is not None and not (spread > 0).all():
            raise InputError(f"{scale} must be positive", path=str(where))
    ref = parts["quantile_reference"]
    if ref is not None and np.any(np.diff(ref) < 0):
        raise InputError("quantile_reference must be sorted", path=str(where))
    if not isinstance(record.get("source", {}), dict):
        raise InputError("source must be a mapping", path=str(where))
    for key in ("input_max", "input_min", "median_z_max"):
        value = record.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputError(f"{key} {value!r} is not a number", path=str(where))
    return {**record, **parts}


def _load_model(model_file: Path) -> Any:
    """The model of a predictor (Keras or joblib), or gexnb's error naming the file."""
    if model_file.suffix == ".keras":
        import gexnb.models  # noqa: F401  (registers gexnb's layers for loading)
        from gexnb.models.saving import load_model

        return load_model(model_file, compile=False)
    import joblib

    try:
        return joblib.load(model_file)
    except Exception as exc:  # any unpickling failure of a damaged file
        raise InputError(
            f"cannot be loaded ({type(exc).__name__}: {exc}); the file is damaged: re-run "
            "notebook 03 to save it again",
            path=str(model_file),
        ) from None


def _check_shapes(predictor: LandmarkPredictor, where: Path) -> None:
    """The model takes as many inputs as the record has landmarks and gives one output per
    target (a model file of another run beside the record is refused)."""
    n_in, n_out = len(predictor.landmark_ids), len(predictor.targets)
    try:
        if predictor.is_keras:
            from gexnb import train

            out = train.predict(predictor.model, np.zeros((1, n_in), "float32"), batch_size=1)
        else:
            out = predictor.model.predict(np.zeros((1, n_in), "float32"))
        shape = np.asarray(out).reshape(1, -1).shape
    except Exception as exc:  # a model built for another number of inputs
        raise InputError(
            f"its model does not take the {n_in} landmark genes the record lists "
            f"({type(exc).__name__})",
            path=str(where),
        ) from None
    if shape[1] != n_out:
        raise InputError(
            f"its model gives {shape[1]} outputs, the record lists {n_out} target genes",
            path=str(where),
        )


def load_predictor(path: str | os.PathLike) -> LandmarkPredictor:
    """Read a predictor saved by :meth:`LandmarkPredictor.save`, checking every part.

    Parameters
    ----------
    path
        Its folder, its :data:`PREDICTOR_JSON` or its model file.

    Returns
    -------
    LandmarkPredictor

    Raises
    ------
    InputError
        A missing or unreadable file, one that is not a gexnb landmark predictor, a part of
        the wrong kind or length (naming it), a model that does not fit the record.
    """
    record_file = _record_file(path)
    if not record_file.is_file():
        raise InputError("not found (a folder notebook 03 saved a model to)", path=str(path))
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"cannot be read as a gexnb predictor: {exc}", path=str(record_file)
        ) from None
    record = _checked(record, record_file)
    model_file = record_file.parent / str(record["model_file"])
    if not model_file.is_file():
        raise InputError(f"its model {model_file.name} is missing", path=str(record_file))
    predictor = LandmarkPredictor(
        str(record["model"]),
        _load_model(model_file),
        pd.DataFrame(record["landmarks"], dtype=object),
        [str(t) for t in record["targets"]],
        str(record["transform"]),
        record["quantile_reference"],
        record["x_center"],
        record["x_scale"],
        record["y_center"],
        record["y_scale"],
        dict(record.get("source") or {}),
        None if record.get("input_max") is None else float(record["input_max"]),
        None if record.get("input_min") is None else float(record["input_min"]),
        None if record.get("median_z_max") is None else float(record["median_z_max"]),
    )
    _check_shapes(predictor, record_file)
    return predictor


def predict_landmark_file(
    model_path: str | os.PathLike,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    batch_size: int | None = None,
    orientation: str = "auto",
    nan: str = "error",
) -> tuple[int, LandmarkPredictor]:
    """``gexnb predict`` for a landmark model: read a matrix, write its predicted targets.

    Parameters
    ----------
    model_path
        A saved predictor (its folder, :data:`PREDICTOR_JSON` or its model file).
    input_path
        Samples x genes matrix (any format :func:`gexnb.data.expression.read_expression`
        reads; a genes x samples file is recognised).
    output_path
        Samples x targets matrix to write (``.tsv``, ``.csv``, ``.parquet``, ``.h5``; by its
        extension), atomically.
    batch_size
        Samples per forward pass of a Keras model.
    orientation
        ``"samples_x_genes"``, ``"genes_x_samples"``, or ``"auto"``: the format's convention
        (:func:`~gexnb.data.expression.read_expression`), unless the landmark genes are
        among its row ids and not its column ids: then its rows are genes (logged).
        The genes other than the landmarks are not used: missing values there are never
        read. A GCTX file (rows are genes) has its landmark rows read alone, an ``.h5ad``
        file its landmark columns of ``X`` (made dense alone when ``X`` is sparse), a
        parquet file its landmark columns when its schema tells its sample ids (a stored
        index, a first column of text or of decimals), an HDF5 file in gexnb's layout its
        landmark columns, a plain numeric text table (tab- or comma-separated, decimal
        points, no quotes but around its ids) the values of its landmark rows or columns
        alone, and the other genes' values are not checked; another file is read whole,
        and must hold numbers there too, as the readers require. The predictions are
        written :data:`BLOCK_SAMPLES` samples at a time.
    nan
        A missing landmark value: one of :data:`MISSING_LANDMARK_VALUES` (``error``,
        ``mean``, ``drop_samples``).

    Returns
    -------
    n, predictor
        The number of samples predicted (written) and the predictor used.

    Raises
    ------
    InputError
        Unreadable input, a landmark gene absent, a missing landmark value under
        ``nan="error"``, values on another scale than the training's, a sample with one value
        for every landmark, an output path that must not be replaced or of a format not
        written.
    ParameterError
        ``batch_size`` below 1, ``nan`` unknown.
    """
    from gexnb.data.expression import (
        name_by_stored_symbols,
        read_expression_keeping_nan,
        writable_format,
    )
    from gexnb.data.expression.readers import write_expression_chunks
    from gexnb.train.predict import _check_output

    if batch_size is not None and int(batch_size) < 1:
        raise ParameterError(f"batch_size must be >= 1, got {batch_size}")
    _check_nan(nan)
    output = Path(output_path)
    folder = _record_file(model_path).parent
    _check_output(output, input_path, folder / PREDICTOR_JSON)
    for model_file in (folder / _KERAS_FILE, folder / _JOBLIB_FILE):
        if output.exists() and model_file.exists() and output.samefile(model_file):
            raise InputError(
                f"is the model file ({model_file}); give another output name", path=str(output)
            )
    writable_format(output)  # before any work
    predictor = load_predictor(model_path)

    def genes_in_rows(rows: pd.Index, columns: pd.Index) -> bool:
        if not predictor.rows_are_landmarks(rows, columns):
            return False
        log.warning("%s: the landmark genes are row ids: read as genes x samples", input_path)
        return True

    frame = read_expression_keeping_nan(
        input_path,
        orientation=orientation,
        genes=_landmark_rows(predictor, input_path, orientation),
        genes_in_rows=genes_in_rows,
    )
    if orientation != "auto" and predictor.rows_are_landmarks(frame.index, frame.columns):
        other = "samples_x_genes" if orientation == "genes_x_samples" else "genes_x_samples"
        raise InputError(
            f"read as {orientation}, its landmark genes are row ids: give --orientation "
            f"{other}, or leave --orientation out to have it recognised",
            path=input_path,
        )
    # an L1000 GCTX named by Entrez ids: the landmarks by the symbols stored beside them
    frame = name_by_stored_symbols(frame, input_path, predictor.landmark_ids)
    inputs = predictor.inputs(frame, path=input_path, nan=nan)
    del frame
    blocks = (
        predictor.outputs(inputs.iloc[start : start + BLOCK_SAMPLES], batch_size=batch_size)
        for start in range(0, len(inputs), BLOCK_SAMPLES)
    )
    write_expression_chunks(blocks, output, n_samples=len(inputs))
    return len(inputs), predictor
