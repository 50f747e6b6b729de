"""Classical baselines behind one ``fit(X, Y) -> self`` / ``predict(X) -> ndarray`` interface.

Every baseline takes a samples x features matrix ``X`` and either a 1-D target ``y`` or a
samples x targets matrix ``Y``; :meth:`predict` returns the same dimensionality it was fitted
on (1-D for 1-D ``y``). Registered names (``gexnb.models.build(name, **hparams)``):

``mean``
    Predict-the-mean: every sample gets the training mean of each target
    (``sklearn.dummy.DummyRegressor``). The floor any model must beat; R^2 on the training
    distribution is 0 by construction, and on another study it shows how far that study's
    means lie from the training means.
``linear``
    Ordinary least squares with an intercept, one model per target on all landmarks: the
    LINCS inference method used as the reference in D-GEX (Chen et al., *Bioinformatics* 2016,
    "Gene expression inference with deep learning").
``knn_ge``
    KNN-GE, the D-GEX paper's second baseline, read over samples: a target profile is predicted
    as the mean of the target profiles of the ``k`` training samples nearest in (Euclidean)
    landmark space.
``knn_ge_genes``
    KNN-GE read over genes, as in KNN imputation (Troyanskaya et al. 2001): each target gene is
    predicted as the mean of the ``k`` landmark genes whose training profiles lie nearest to its
    own. Which of the two readings the D-GEX paper used is not settled here; both are offered.
``ridge``
    Ridge regression with the penalty chosen by efficient leave-one-out CV (``RidgeCV``);
    the linear baseline of the review in seed 002.
``svr``, ``random_forest``, ``gradient_boosting``
    Support-vector regression (RBF), random forest and histogram gradient boosting, the other
    classical baselines of the review (seed 002). SVR and gradient boosting fit one model per
    target (``MultiOutputRegressor``); they, and the random forest, accept ``max_targets`` to fit
    only a subset of the targets when there are thousands of them.

With ``max_targets`` set and fewer than the given targets, the model is fitted on
``max_targets`` targets drawn without replacement with ``random_state`` (sorted), recorded in
:attr:`target_indices_`; :meth:`predict` then returns only those columns, and results must be
reported as computed on that subset. Without ``max_targets``, ``target_indices_`` lists all.

This module does not import TensorFlow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neighbors import KNeighborsRegressor, NearestNeighbors
from sklearn.svm import SVR

from gexnb.errors import InputError, ParameterError
from gexnb.models.checks import check_int

try:  # scikit-learn's error for a hyperparameter out of range (a ValueError)
    from sklearn.utils._param_validation import InvalidParameterError
except ImportError:  # pragma: no cover - an older or newer scikit-learn
    InvalidParameterError = ValueError  # type: ignore[assignment,misc]
from gexnb.models.registry import register_model

log = logging.getLogger(__name__)

__all__ = [
    "Baseline",
    "MeanBaseline",
    "MedianBaseline",
    "CONSTANT_BASELINES",
    "LinearBaseline",
    "KNNGEBaseline",
    "KNNGEGenesBaseline",
    "RidgeBaseline",
    "SVRBaseline",
    "RandomForestBaseline",
    "GradientBoostingBaseline",
    "BASELINE_NAMES",
    "build_mean",
    "build_linear",
    "build_knn_ge",
    "build_knn_ge_genes",
    "build_ridge",
    "build_svr",
    "build_random_forest",
    "build_gradient_boosting",
    "seeded",
    "clone_baseline",
]

#: Registered names of the classical baselines.
BASELINE_NAMES = (
    "mean",
    "median",
    "linear",
    "knn_ge",
    "knn_ge_genes",
    "ridge",
    "svr",
    "random_forest",
    "gradient_boosting",
)


def _column_names(x: Any) -> list[str] | None:
    """A DataFrame's column names (as strings), else None."""
    return [str(c) for c in x.columns] if isinstance(x, pd.DataFrame) else None


def _short(names: list[str]) -> str:
    """At most three names and the count, for a message."""
    more = f", ... ({len(names)} in all)" if len(names) > 3 else ""
    return "[" + ", ".join(repr(n) for n in names[:3]) + more + "]"


def _as_matrix(x: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} must hold numbers: {exc}") from None
    if arr.ndim != 2:
        raise InputError(f"{what} must be a 2-D samples x genes matrix, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise InputError(f"{what} has no samples")
    if arr.shape[1] == 0:
        raise InputError(f"{what} has no columns (genes)")
    if not np.isfinite(arr).all():
        rows, cols = np.nonzero(~np.isfinite(arr))
        raise InputError(
            f"{what} holds {rows.size} NaN/infinite value(s), first at sample {int(rows[0])}, "
            f"column {int(cols[0])}; impute or drop them first"
        )
    return arr


class Baseline(BaseEstimator, RegressorMixin):
    """Common base: input checks, 1-D/2-D targets and the optional target subset.

    Subclasses implement :meth:`_make_estimator` (a scikit-learn regressor that accepts a
    2-D ``Y``) and set :attr:`multioutput_wrap` when the estimator handles one target only.
    """

    name = "baseline"
    multioutput_wrap = False

    def _make_estimator(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _max_targets(self) -> int | None:
        return getattr(self, "max_targets", None)

    def fit(self, X: Any, Y: Any) -> Baseline:
        """Fit on ``X`` (samples x landmarks) and ``Y`` (samples, or samples x targets).

        Raises
        ------
        InputError
            On NaN/infinite values, non-matching sample counts or wrong dimensionality.
        """
        self.feature_names_ = _column_names(X)
        x = _as_matrix(X, "X (landmark matrix)")
        y = np.asarray(Y, dtype=np.float64)
        self.y_1d_ = y.ndim == 1
        if self.y_1d_:
            y = y[:, None]
        y = _as_matrix(y, "Y (target matrix)")
        if y.shape[0] != x.shape[0]:
            raise InputError(
                f"X has {x.shape[0]} samples but Y has {y.shape[0]}; they must be paired row by row"
            )
        n_targets = y.shape[1]
        limit = self._max_targets()
        if limit is not None:
            check_int("max_targets", limit)
        if limit is not None and int(limit) < n_targets:
            rng = np.random.default_rng(getattr(self, "random_state", 0))
            idx = np.sort(rng.choice(n_targets, size=int(limit), replace=False))
        else:
            idx = np.arange(n_targets)
        self.target_indices_ = idx
        self.n_targets_total_ = n_targets
        self.n_features_in_ = x.shape[1]
        self.n_train_samples_ = x.shape[0]
        estimator = self._make_estimator()
        if self.multioutput_wrap and idx.size > 1:
            estimator = MultiOutputRegressor(estimator, n_jobs=getattr(self, "n_jobs", None))
        y_fit = y if idx.size == n_targets else y[:, idx]  # every target: no copy of Y
        if y_fit.shape[1] == 1:
            y_fit = y_fit[:, 0]
        try:
            self.estimator_ = estimator.fit(x, y_fit)
        except InvalidParameterError as exc:  # scikit-learn's own check of a hyperparameter
            raise ParameterError(f"{self.name}: {exc}") from None
        except np.linalg.LinAlgError as exc:
            raise InputError(
                f"{self.name}: the fit failed ({exc}); the largest absolute value of X is "
                f"{np.abs(x).max():.3g}: scale or log-transform the inputs"
            ) from None
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict the fitted targets for ``X``.

        Returns
        -------
        ndarray
            ``(n_samples,)`` when fitted on a 1-D ``y``, else ``(n_samples, len(target_indices_))``.
        """
        if not hasattr(self, "estimator_"):
            raise ParameterError(f"{type(self).__name__} is not fitted yet; call fit(X, Y) first")
        names = _column_names(X)
        fitted = getattr(self, "feature_names_", None)
        if names is not None and fitted is not None and names != fitted:
            first = (
                next((a, b) for a, b in zip(names, fitted, strict=False) if a != b)
                if len(names) == len(fitted)
                else None
            )
            where = f" (first: {first[0]!r} where the fit had {first[1]!r})" if first else ""
            raise InputError(
                f"X has columns {_short(names)} but the model was fitted on {_short(fitted)}"
                f"{where}; select them in the fitted order (X[fitted_columns])"
            )
        x = _as_matrix(X, "X (landmark matrix)")
        if x.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {x.shape[1]} landmark columns but the model was fitted on "
                f"{self.n_features_in_}"
            )
        pred = np.asarray(self.estimator_.predict(x), dtype=np.float64)
        if pred.ndim == 1:
            pred = pred[:, None]
        if self.y_1d_:
            return pred[:, 0]
        return pred

    @property
    def is_subset(self) -> bool:
        """Whether the model was fitted on fewer targets than it was given (``max_targets``)."""
        return bool(self.target_indices_.size < self.n_targets_total_)


class MeanBaseline(Baseline):
    """Predict-the-mean baseline: the training mean of each target, whatever the input."""

    name = "mean"

    def __init__(self) -> None:
        pass

    def _make_estimator(self) -> Any:
        return DummyRegressor(strategy="mean")


class MedianBaseline(Baseline):
    """Predict-the-median baseline: the training median of each target, whatever the input.

    The constant with the smallest mean absolute error, as the mean is the one with the
    smallest squared error: on skewed or zero-inflated targets (single-cell counts, genes
    off in most samples) it is the floor an MAE must beat, well below the mean's.
    """

    name = "median"

    def __init__(self) -> None:
        pass

    def _make_estimator(self) -> Any:
        return DummyRegressor(strategy="median")


#: The predict-a-constant baselines: the training mean and median of each target (the
#: constants of least squared and least absolute error). Notebook 03 runs both in every
#: comparison; the conclusions check every model against them.
CONSTANT_BASELINES = (MeanBaseline.name, MedianBaseline.name)


class LinearBaseline(Baseline):
    """Ordinary least squares per target with an intercept (the LINCS method, as in D-GEX).

    Linear regression on all landmarks, the reference method D-GEX [1]_ compares against:
    the minimum-norm least-squares solution (:func:`scipy.linalg.lstsq`), as
    :class:`sklearn.linear_model.LinearRegression` gives it, except that directions of the
    centred landmarks, each scaled to unit sd, weaker than :data:`LSTSQ_COND` times the
    strongest are treated as absent (gexnb's choice). Landmarks quantile-normalised alone
    (notebook 03) have one such direction, their level, which that normalisation fixes:
    plain least squares weighted it heavily, harmless on samples normalised the same way
    but not on a second data set normalised with its own statistics (GPL96 -> genefu: MAE
    6.59 against 0.83). With fewer samples than landmarks, as in notebook 03's GPL96
    splits, the solution is the same as plain least squares (that direction has no weight
    then).

    Parameters
    ----------
    n_jobs
        Unused (kept for the saved models' and profiles' sake).

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    """

    name = "linear"

    def __init__(self, *, n_jobs: int | None = None):
        self.n_jobs = n_jobs

    def _make_estimator(self) -> Any:
        return _LeastSquares()


#: Relative cutoff of :class:`LinearBaseline`'s least squares: singular values of the centred
#: inputs below this fraction of the largest are treated as zero (:func:`scipy.linalg.lstsq`'s
#: ``cond``).
LSTSQ_COND = 1e-3


class _LeastSquares(BaseEstimator, RegressorMixin):
    """Minimum-norm least squares with an intercept, singular values of the centred inputs
    below :data:`LSTSQ_COND` of the largest treated as zero (:class:`LinearBaseline`)."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> _LeastSquares:
        """Solve for ``coef_`` (targets x inputs) and ``intercept_`` on centred data.

        Parameters
        ----------
        x
            Training inputs, samples x inputs.
        y
            Training targets, samples (1-D) or samples x targets.

        Returns
        -------
        _LeastSquares
            ``self``.
        """
        from scipy.linalg import lstsq

        x64, y64 = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        x_mean, y_mean = x64.mean(axis=0), y64.mean(axis=0)
        # on columns of unit sd, so that the cutoff does not depend on the inputs' units
        # (a review: a landmark of small spread lost its weight on values not z-scored)
        sd = x64.std(axis=0)
        sd[sd == 0] = 1.0
        scaled, _, rank, _ = lstsq((x64 - x_mean) / sd, y64 - y_mean, cond=LSTSQ_COND)
        beta = scaled / (sd[:, None] if scaled.ndim == 2 else sd)
        self.coef_ = beta.T
        self.intercept_ = y_mean - x_mean @ beta
        self.rank_ = int(rank)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``x @ coef_.T + intercept_``.

        Parameters
        ----------
        x
            Samples x inputs.

        Returns
        -------
        numpy.ndarray
            The predictions, samples x targets (1-D for a 1-D ``y``).
        """
        return np.asarray(x, dtype=np.float64) @ self.coef_.T + self.intercept_


#: Folds of the cross-validation that chooses ``k`` among candidates (:func:`_choose_k`).
K_FOLDS = 5


def _k_candidates(model: str, k: Any, n_train: int) -> list[int]:
    """``k`` as a list of candidates (one int, or a list of them), each a whole number >= 1,
    none twice, with at least :data:`K_FOLDS` training samples to choose among several; a
    :class:`ParameterError` otherwise."""
    values = list(k) if isinstance(k, (list, tuple, np.ndarray)) else [k]
    if not values:
        raise ParameterError(f"{model}: k must be an integer or a list of them, got {k!r}")
    ks = [check_int(f"{model}: k", v) for v in values]  # k=2.5 was used as 2
    if len(set(ks)) < len(ks):
        raise ParameterError(f"{model}: k lists a value twice: {k!r}")
    if len(ks) > 1 and n_train < K_FOLDS:
        raise ParameterError(
            f"{model}: choosing k among {ks} needs at least {K_FOLDS} training samples, "
            f"got {n_train}"
        )
    return ks


def _check_k_limit(model: str, ks: list[int], limit: int, what: str) -> list[int]:
    """The candidates ``ks`` that do not exceed the ``limit`` ``what``: those that do are
    left out of a list of several, logged (a new-user trial: ``k: [1, 3, 5, 10, 20, 50]``
    on 12 samples refused the whole run); a :class:`ParameterError` when none is left."""
    too_big = [v for v in ks if v > limit]
    fit = [v for v in ks if v <= limit]
    if too_big and not fit:
        raise ParameterError(f"{model}: k={too_big[0]} exceeds the {limit} {what}")
    if too_big:
        log.warning("%s: k=%s exceed the %d %s: choosing among %s", model,
                    ",".join(map(str, too_big)), limit, what, fit)  # fmt: skip
    return fit


def _choose_k(estimator: Any, param: str, ks: list[int], seed: int = 0) -> Any:
    """``estimator`` with ``param`` set to the one candidate, or a grid search over several:
    :data:`K_FOLDS`-fold cross-validation on the training samples (shuffled with ``seed``),
    lowest MAE, then refit."""
    if len(ks) == 1:
        return estimator.set_params(**{param: ks[0]})
    folds = KFold(n_splits=K_FOLDS, shuffle=True, random_state=seed)
    return GridSearchCV(
        estimator, {param: ks}, cv=folds, scoring="neg_mean_absolute_error", error_score="raise"
    )


class _KNNGE(Baseline):
    """The two KNN-GE readings' shared part: ``k`` (one, or candidates) and the ``k`` used.

    Parameters
    ----------
    k
        Number of neighbours, or a list of candidates (see the subclasses).
    n_jobs
        Passed to the scikit-learn neighbour search.
    random_state
        Seed of the cross-validation folds that choose among several ``k``.
    """

    #: The fitted estimator's name for ``k``.
    _k_param = "k"

    def __init__(
        self, *, k: int | list[int] = 10, n_jobs: int | None = None, random_state: int = 0
    ):
        self.k = k
        self.n_jobs = n_jobs
        self.random_state = random_state

    @property
    def k_(self) -> int:
        """The ``k`` used: the chosen candidate when ``k`` lists several."""
        if not hasattr(self, "estimator_"):
            raise ParameterError(f"{type(self).__name__} is not fitted yet; call fit(X, Y) first")
        if isinstance(self.estimator_, GridSearchCV):
            return int(self.estimator_.best_params_[self._k_param])
        return int(self.estimator_.get_params()[self._k_param])


class KNNGEBaseline(_KNNGE):
    """KNN-GE (D-GEX, Chen et al. 2016): the mean target profile of the ``k`` nearest samples.

    Distances are Euclidean in landmark space; the ``k`` neighbours weigh equally.

    Parameters
    ----------
    k
        Number of neighbours, or a list of candidates: the one with the lowest MAE in a
        :data:`K_FOLDS`-fold cross-validation on the training samples is chosen (gexnb's
        choice; D-GEX chose ``k`` on its validation set), and refitted on all of them. 10 is
        the default here.
    n_jobs
        Passed to :class:`sklearn.neighbors.KNeighborsRegressor`.
    random_state
        Seed of the cross-validation folds that choose among several ``k``.

    Attributes
    ----------
    k_
        The ``k`` used (the chosen candidate when ``k`` is a list).
    """

    name = "knn_ge"
    _k_param = "n_neighbors"

    def _make_estimator(self) -> Any:
        n = self.n_train_samples_
        ks = _k_candidates("knn_ge", self.k, n)
        if len(ks) > 1:  # the neighbours come from a fold's training samples
            ks = _check_k_limit("knn_ge", ks, n - -(-n // K_FOLDS), "training samples of a fold")
        else:
            ks = _check_k_limit("knn_ge", ks, n, "training samples")
        knn = KNeighborsRegressor(weights="uniform", metric="euclidean", n_jobs=self.n_jobs)
        return _choose_k(knn, self._k_param, ks, self.random_state)


class _NearestGenesMean(BaseEstimator, RegressorMixin):
    """Each target column predicted as the unweighted mean of its ``k`` nearest input columns.

    Nearness is the Euclidean distance between a target's and an input's training profiles
    (columns of ``y`` and ``X`` over the same samples), found with
    :class:`sklearn.neighbors.NearestNeighbors`; on per-gene z-scores it ranks genes by their
    correlation. Prediction is ``X @ W`` with ``W`` the inputs x targets averaging matrix.

    Parameters
    ----------
    k
        Input columns averaged per target.
    n_jobs
        Passed to :class:`sklearn.neighbors.NearestNeighbors`.
    """

    def __init__(self, *, k: int = 10, n_jobs: int | None = None):
        self.k = k
        self.n_jobs = n_jobs

    def fit(self, x: np.ndarray, y: np.ndarray) -> _NearestGenesMean:
        """Find each target's ``k`` nearest input columns over the training samples.

        Parameters
        ----------
        x
            Training inputs, samples x inputs.
        y
            Training targets, samples (1-D) or samples x targets.

        Returns
        -------
        _NearestGenesMean
            ``self``, with ``neighbours_`` (targets x k input indices) and ``weights_``.
        """
        y2 = y[:, None] if y.ndim == 1 else y
        finder = NearestNeighbors(n_neighbors=int(self.k), n_jobs=self.n_jobs).fit(x.T)
        self.neighbours_ = finder.kneighbors(y2.T, return_distance=False)
        weights = np.zeros((x.shape[1], y2.shape[1]))
        weights[self.neighbours_, np.arange(y2.shape[1])[:, None]] = 1.0 / int(self.k)
        self.weights_ = weights
        self.y_1d_ = y.ndim == 1
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Each target as the mean of its neighbours' values in ``x`` (samples x inputs).

        Parameters
        ----------
        x
            Inputs, samples x inputs (the fitted inputs, in the fitted order).

        Returns
        -------
        ndarray
            Samples (1-D, when fitted on 1-D targets) or samples x targets.
        """
        pred = x @ self.weights_
        return pred[:, 0] if self.y_1d_ else pred


class KNNGEGenesBaseline(_KNNGE):
    """KNN-GE read over genes: each target the mean of its ``k`` nearest landmark genes.

    The ``k`` landmark genes whose training profiles lie nearest (Euclidean, over the training
    samples) to a target gene's profile are found once at fit time; a new sample's target is
    the unweighted mean of those landmarks' values in that sample (KNN imputation [2]_ weighs
    the neighbours by their similarity). Inputs and targets must be on one scale: on per-gene
    z-scores (notebook 03's default normalisation, as in D-GEX) the distance ranks genes by
    correlation, while on unnormalised values a landmark that tracks a target at another level
    is never chosen. A review recalls this as D-GEX's KNN-GE [1]_; gexnb could not check the
    paper's Methods, so ``knn_ge`` (over samples) and this reading are both offered.

    Parameters
    ----------
    k
        Number of landmark genes averaged per target (at most the number of landmarks), or a
        list of candidates chosen as for :class:`KNNGEBaseline` (lowest MAE in a
        :data:`K_FOLDS`-fold cross-validation on the training samples).
    n_jobs
        Passed to :class:`sklearn.neighbors.NearestNeighbors`.
    random_state
        Seed of the cross-validation folds that choose among several ``k``.

    Attributes
    ----------
    k_
        The ``k`` used (the chosen candidate when ``k`` is a list).

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    .. [2] O. Troyanskaya et al., "Missing value estimation methods for DNA microarrays",
       Bioinformatics 17(6), 520-525 (2001).
    """

    name = "knn_ge_genes"

    def _make_estimator(self) -> Any:
        ks = _k_candidates("knn_ge_genes", self.k, self.n_train_samples_)
        ks = _check_k_limit("knn_ge_genes", ks, self.n_features_in_, "landmark genes")
        return _choose_k(
            _NearestGenesMean(n_jobs=self.n_jobs), self._k_param, ks, self.random_state
        )


class RidgeBaseline(Baseline):
    """Ridge regression with the penalty chosen by leave-one-out CV (``RidgeCV``).

    Parameters
    ----------
    alphas
        Candidate penalties.
    alpha_per_target
        Choose a penalty per target (scikit-learn ``alpha_per_target``).
    """

    name = "ridge"

    def __init__(
        self,
        *,
        alphas: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0),
        alpha_per_target: bool = False,
    ):
        self.alphas = alphas
        self.alpha_per_target = alpha_per_target

    def _make_estimator(self) -> Any:
        alphas = tuple(np.atleast_1d(np.asarray(self.alphas, dtype=float)))
        if not alphas or not all(np.isfinite(a) and a > 0 for a in alphas):
            raise ParameterError(
                f"ridge: alphas must be one or more positive numbers, got {self.alphas!r}"
            )
        return RidgeCV(alphas=alphas, alpha_per_target=self.alpha_per_target)


class SVRBaseline(Baseline):
    """Support-vector regression (RBF kernel), one model per target (review, seed 002).

    Parameters
    ----------
    C, epsilon, kernel, gamma
        Passed to :class:`sklearn.svm.SVR`.
    max_targets
        Fit only this many targets (random subset, ``random_state``); None fits all.
    random_state
        Seed of the target subset.
    n_jobs
        Parallel targets in :class:`sklearn.multioutput.MultiOutputRegressor`.
    """

    name = "svr"
    multioutput_wrap = True

    def __init__(
        self,
        *,
        C: float = 1.0,
        epsilon: float = 0.1,
        kernel: str = "rbf",
        gamma: str | float = "scale",
        max_targets: int | None = None,
        random_state: int = 0,
        n_jobs: int | None = None,
    ):
        self.C = C
        self.epsilon = epsilon
        self.kernel = kernel
        self.gamma = gamma
        self.max_targets = max_targets
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _make_estimator(self) -> Any:
        return SVR(C=self.C, epsilon=self.epsilon, kernel=self.kernel, gamma=self.gamma)


class RandomForestBaseline(Baseline):
    """Random forest regression (native multi-output trees; review, seed 002).

    Parameters
    ----------
    n_estimators, max_depth, min_samples_leaf, max_features
        Passed to :class:`sklearn.ensemble.RandomForestRegressor`.
    max_targets
        Fit only this many targets (random subset, ``random_state``); None fits all.
    random_state
        Seed of the forest and of the target subset.
    n_jobs
        Parallel trees.
    """

    name = "random_forest"

    def __init__(
        self,
        *,
        n_estimators: int = 100,
        max_depth: int | None = None,
        min_samples_leaf: int = 1,
        max_features: float | str | None = 1.0,
        max_targets: int | None = None,
        random_state: int = 0,
        n_jobs: int | None = None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.max_targets = max_targets
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _make_estimator(self) -> Any:
        return RandomForestRegressor(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )


class GradientBoostingBaseline(Baseline):
    """Histogram gradient boosting, one model per target (review, seed 002).

    Parameters
    ----------
    max_iter, learning_rate, max_leaf_nodes, early_stopping
        Passed to :class:`sklearn.ensemble.HistGradientBoostingRegressor`.
    max_targets
        Fit only this many targets (random subset, ``random_state``); None fits all.
    random_state
        Seed of the boosting and of the target subset.
    n_jobs
        Parallel targets in :class:`sklearn.multioutput.MultiOutputRegressor`.
    """

    name = "gradient_boosting"
    multioutput_wrap = True

    def __init__(
        self,
        *,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        early_stopping: bool | str = "auto",
        max_targets: int | None = None,
        random_state: int = 0,
        n_jobs: int | None = None,
    ):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.early_stopping = early_stopping
        self.max_targets = max_targets
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _make_estimator(self) -> Any:
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            early_stopping=self.early_stopping,
            random_state=self.random_state,
        )


@register_model("mean", kind="classical", task="tabular")
def build_mean(**hparams: Any) -> MeanBaseline:
    """Predict-the-mean baseline (training mean of each target; ``DummyRegressor``).

    Parameters
    ----------
    **hparams
        None: :class:`MeanBaseline` takes no hyperparameters (any is an error).

    Returns
    -------
    MeanBaseline
        The unfitted baseline.
    """
    return MeanBaseline(**hparams)


@register_model("median", kind="classical", task="tabular")
def build_median(**hparams: Any) -> MedianBaseline:
    """Predict-the-median baseline (training median of each target; ``DummyRegressor``).

    Parameters
    ----------
    **hparams
        None: :class:`MedianBaseline` takes no hyperparameters (any is an error).

    Returns
    -------
    MedianBaseline
        The unfitted baseline.
    """
    return MedianBaseline(**hparams)


@register_model("linear", kind="classical", task="tabular")
def build_linear(**hparams: Any) -> LinearBaseline:
    """Ordinary least squares per target, the LINCS/D-GEX linear baseline (LR of D-GEX [1]_).

    Parameters
    ----------
    **hparams
        Keyword arguments of :class:`LinearBaseline` (``n_jobs``).

    Returns
    -------
    LinearBaseline
        An unfitted baseline.

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    """
    return LinearBaseline(**hparams)


@register_model("knn_ge", kind="classical", task="tabular")
def build_knn_ge(**hparams: Any) -> KNNGEBaseline:
    """KNN-GE of D-GEX [1]_: mean target profile of the ``k`` nearest training samples.

    Parameters
    ----------
    **hparams
        Keyword arguments of :class:`KNNGEBaseline` (``k``, ``n_jobs``).

    Returns
    -------
    KNNGEBaseline
        An unfitted baseline.

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    """
    return KNNGEBaseline(**hparams)


@register_model("knn_ge_genes", kind="classical", task="tabular")
def build_knn_ge_genes(**hparams: Any) -> KNNGEGenesBaseline:
    """KNN-GE of D-GEX [1]_ read over genes [2]_: each target the mean of its nearest landmarks.

    Parameters
    ----------
    **hparams
        Keyword arguments of :class:`KNNGEGenesBaseline` (``k``, ``n_jobs``).

    Returns
    -------
    KNNGEGenesBaseline
        An unfitted baseline.

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016).
    .. [2] O. Troyanskaya et al., "Missing value estimation methods for DNA microarrays",
       Bioinformatics 17(6), 520-525 (2001).
    """
    return KNNGEGenesBaseline(**hparams)


@register_model("ridge", kind="classical", task="tabular")
def build_ridge(**hparams: Any) -> RidgeBaseline:
    """Ridge regression with leave-one-out choice of the penalty (``RidgeCV``).

    Parameters
    ----------
    **hparams
        Keyword arguments of :class:`RidgeBaseline` (see its Parameters).

    Returns
    -------
    RidgeBaseline
        The unfitted baseline.
    """
    return RidgeBaseline(**hparams)


@register_model("svr", kind="classical", task="tabular")
def build_svr(**hparams: Any) -> SVRBaseline:
    """RBF support-vector regression, one model per target (``max_targets`` to subsample).

    Parameters
    ----------
    **hparams
        Keyword arguments of :class:`SVRBaseline` (see its Parameters).

    Returns
    -------
    SVRBaseline
        The unfitted baseline.
    """
    return SVRBaseline(**hparams)


@register_model("random_forest", kind="classical", task="tabular")
def build_random_forest(**hparams: Any) -> RandomForestBaseline:
    """Random forest regression (``max_targets`` to subsample the targets).

    Parameters
    ----------
    **hparams
        Keyword arguments of :class:`RandomForestBaseline` (see its Parameters).

    Returns
    -------
    RandomForestBaseline
        The unfitted baseline.
    """
    return RandomForestBaseline(**hparams)


@register_model("gradient_boosting", kind="classical", task="tabular")
def build_gradient_boosting(**hparams: Any) -> GradientBoostingBaseline:
    """Histogram gradient boosting, one model per target (``max_targets`` to subsample).

    Parameters
    ----------
    **hparams
        Keyword arguments of :class:`GradientBoostingBaseline` (see its Parameters).

    Returns
    -------
    GradientBoostingBaseline
        The unfitted baseline.
    """
    return GradientBoostingBaseline(**hparams)


def seeded(model: Any, seed: int, params: Mapping[str, Any]) -> Any:
    """``model`` with its ``random_state`` set to a run's ``seed``, unless ``params`` (the
    hyperparameters it was built with) set one: random forest, gradient boosting, the target
    subset of ``max_targets`` and KNN-GE's folds follow the run's seed, as the deep models'
    initial weights do (they were seeded with 0 whatever the run's seed).

    Parameters
    ----------
    model
        A baseline (any scikit-learn estimator); one without ``random_state`` is returned
        as it is.
    seed
        The run's seed.
    params
        The hyperparameters given for this model.

    Returns
    -------
    Baseline
        ``model``, changed in place.
    """
    if "random_state" not in params and "random_state" in model.get_params(deep=False):
        model.set_params(random_state=int(seed))
    return model


def clone_baseline(model: Baseline) -> Baseline:
    """Return an unfitted copy of ``model`` with the same parameters (``sklearn.clone``).

    Parameters
    ----------
    model
        A baseline, fitted or not.

    Returns
    -------
    Baseline
        A new, unfitted baseline of the same class and parameters.
    """
    return clone(model)
