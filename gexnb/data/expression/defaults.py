"""The one statement of the defaults of how an expression matrix is read and checked.

Every loader, reader and normaliser takes these settings as keyword arguments whose defaults
are the fields of :class:`DataChecks` (``nan: str = DataChecks.nan``), and the notebooks'
``data_checks`` parameter is completed from the same object
(:data:`gexnb.pipelines.params.DATA_CHECK_DEFAULTS`), so a Python caller and a notebook get
the same behaviour from the same omitted setting.
"""

from __future__ import annotations

import dataclasses

__all__ = ["DataChecks", "DEFAULT_TRANSFORM"]

#: The notebooks' ``transform`` parameter and the loaders' ``transform`` argument: ``"auto"``
#: takes the log2 of a matrix that is clearly linear (see
#: :func:`gexnb.data.expression.transform_expression`).
DEFAULT_TRANSFORM = "auto"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataChecks:
    """How an expression matrix is read and checked (notebooks 01, 03 and 04).

    Parameters
    ----------
    orientation, nan, duplicates, zero_variance, probe_groups
        Keyword-only; set the attributes of the same names (see Attributes).
    min_relative_sd, max_missing_landmarks, max_missing_targets
        Keyword-only; set the attributes of the same names (see Attributes).

    Attributes
    ----------
    orientation
        ``"auto"`` (the format's convention: tables are samples x genes, GCT genes x
        samples), ``"samples_x_genes"`` or ``"genes_x_samples"``.
    nan
        NaN values: ``"error"``, ``"drop_genes"``, ``"drop_samples"`` (a failed array, an
        empty column) or ``"mean"``: each gene's missing values
        filled with its mean over every sample of the file, the held-out samples included
        (their inputs, never a target: a target gene with missing values is left out by
        notebooks 01 and 03, within ``max_missing_targets``, and refused by notebook 04, as
        its filled values would be scored as measured).
    duplicates
        Duplicated gene ids: ``"mean"`` (averaged, as D-GEX averages a gene's probes),
        ``"first"`` or ``"error"``.
    zero_variance
        Constant genes in the training samples: ``"error"`` or ``"drop"`` (notebook 03).
    probe_groups
        A gene-list row naming several probes, comma-separated (3,755 of D-GEX's 9,520
        targets): ``"mean"``, the mean of those of its probes the matrix has, as D-GEX
        averaged a gene's probes; ``"none"``, the field matched as one id, so such a gene is
        missing (gexnb before 2026-12-01: notebook 03's GPL96 tables in the README).
    min_relative_sd
        Low-variance filter before z-scoring (notebook 03): genes whose sd is below this
        fraction of the median gene sd are left out; 0 keeps every gene of non-zero variance.
        gexnb's choice, 0.1: a probe at the detection floor has near-constant values whose
        z-scores are mostly noise and can dominate mean errors; a tenth keeps every gene of
        ordinary spread.
    max_missing_landmarks
        Fraction of the listed landmark genes allowed absent from the matrix (0: all needed).
    max_missing_targets
        Fraction of the listed target genes allowed absent (1: any number, reported).
    """

    orientation: str = "auto"
    nan: str = "error"
    duplicates: str = "mean"
    zero_variance: str = "error"
    probe_groups: str = "mean"
    min_relative_sd: float = 0.1
    max_missing_landmarks: float = 0.0
    max_missing_targets: float = 1.0
