"""Synthetic data with a known ground truth: the embedded default of every notebook.

- :func:`synthetic_promoters`: DREAM 2022-shaped promoters (Rafi et al., *Nat Biotechnol*
  2024: a random 80-nt core between the fixed plasmid adapters, 110 nt in all) whose
  expression is a known function of planted motifs (position-dependent effects, one
  interaction, Gaussian noise), on the challenge's 0-17 expression scale.
- :func:`synthetic_expression`: a D-GEX-shaped (Chen et al., *Bioinformatics* 2016: 943
  landmark -> 9,520 target genes) latent-factor expression matrix in which the targets are
  non-linear functions of the factors, so a deep model beats linear regression from the
  landmarks (the LINCS method).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from gexnb.checks import is_whole
from gexnb.data.sequences import DEFAULT_LENGTH
from gexnb.errors import ParameterError

__all__ = [
    "ADAPTER_5",
    "ADAPTER_3",
    "CORE_LENGTH",
    "PROMOTER_MOTIFS",
    "synthetic_promoters",
    "planted_positions",
    "synthetic_expression",
    "synthetic_options",
    "EXPRESSION_OPTIONS",
    "LANDMARK_SYNTHETIC",
]

#: Fixed 5' and 3' plasmid adapters of the DREAM 2022 sequences.
ADAPTER_5 = "TGCATTTTTTTCACATC"
ADAPTER_3 = "GGTTACGGCTGTT"
#: Length of the random promoter core between the adapters.
CORE_LENGTH = 80

#: Planted motifs: name -> (motif, base effect). Effects are on the 0-17 expression scale and
#: grow linearly along the core (``effect * (0.5 + relative position)``): a motif near the
#: 3' end (close to the transcription start) acts more strongly, as in yeast promoters.
PROMOTER_MOTIFS: dict[str, tuple[str, float]] = {
    "activator": ("TTACCCGG", 3.0),  # Reb1-like activator
    "repressor": ("GCGATGAG", -2.5),  # PAC-like motif, repressive here
    "tata": ("TATAAA", 1.5),  # TATA box
}
#: Extra effect when the activator and the TATA box are both present.
INTERACTION = ("activator", "tata", 2.0)
_BASELINE = 8.0
_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)


def _check_size(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int, refusing a non-integer (an integral float passes) below ``minimum``."""
    if not is_whole(value) or value < minimum:
        least = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ParameterError(f"{name} must be {least}, got {value!r}")
    return int(value)


def synthetic_promoters(
    n: int,
    *,
    seed: int = 0,
    presence: float = 0.5,
    noise: float = 0.6,
    variable_length_fraction: float = 0.02,
) -> pd.DataFrame:
    """DREAM-shaped promoter sequences with expression driven by planted motifs.

    Each sequence is ``ADAPTER_5 + core + ADAPTER_3`` with a uniformly random 80-nt core
    (17 + 80 + 13 = 110 nt), as in the DREAM Challenge 2022 training data. Each motif of
    :data:`PROMOTER_MOTIFS` is planted with probability ``presence`` at a random,
    non-overlapping position of the core. The expression is

    ``8 + sum_m effect_m * (0.5 + p_m) + 2 * activator * tata + noise``

    where ``p_m`` in [0, 1] is the motif's relative position in the core and the noise is
    Gaussian with sd ``noise``; it is clipped to the challenge's 0-17 range. With the default
    noise the planted effects explain about 96 % of the variance. A fraction of the sequences
    (``variable_length_fraction``) get a core of 70-85 nt (100-115 nt in all) to exercise
    padding, as the real training file has variable lengths.

    Parameters
    ----------
    n
        Number of sequences.
    seed
        Seed of the numpy random generator; the output is a function of the arguments.
    presence
        Probability that each motif is planted in a sequence.
    noise
        Standard deviation of the Gaussian noise.
    variable_length_fraction
        Share of sequences with a core length other than 80.

    Returns
    -------
    pandas.DataFrame
        Columns ``sequence``, ``expression`` (float32) and ``<name>_pos`` per motif (0-based
        start in the sequence string, -1 if absent). ``df.attrs["motifs"]`` maps each name to
        ``{"motif", "effect", "position_slope"}``; ``df.attrs["interaction"]`` describes the
        pairwise term; ``df.attrs["noise"]`` the noise sd.

    Raises
    ------
    ParameterError
        ``n`` not a positive integer, ``seed`` not a non-negative integer, ``presence`` or
        ``variable_length_fraction`` outside [0, 1], ``noise`` negative or NaN.
    """
    n = _check_size("n", n, 1)
    seed = _check_size("seed", seed, 0)
    if not 0.0 <= presence <= 1.0 or not 0.0 <= variable_length_fraction <= 1.0:
        raise ParameterError("presence and variable_length_fraction must lie in [0, 1]")
    if noise < 0 or np.isnan(noise):
        raise ParameterError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    max_core = 85
    core = _LETTERS[rng.integers(0, 4, size=(n, max_core))]
    core_len = np.full(n, CORE_LENGTH, dtype=np.int64)
    varied = rng.random(n) < variable_length_fraction
    core_len[varied] = rng.integers(70, max_core + 1, size=int(varied.sum()))

    occupied = np.zeros((n, max_core), dtype=bool)
    positions: dict[str, np.ndarray] = {}
    expression = np.full(n, _BASELINE)
    present_by_name: dict[str, np.ndarray] = {}
    for name, (motif, effect) in PROMOTER_MOTIFS.items():
        width = len(motif)
        present = rng.random(n) < presence
        pos = np.full(n, -1, dtype=np.int64)
        todo = present.copy()
        for _ in range(20):  # rejection sampling of a free slot, vectorised over rows
            rows = np.flatnonzero(todo)
            if rows.size == 0:
                break
            cand = (rng.random(rows.size) * (core_len[rows] - width + 1)).astype(np.int64)
            window = cand[:, None] + np.arange(width)[None, :]
            free = ~occupied[rows[:, None], window].any(axis=1)
            ok = rows[free]
            pos[ok] = cand[free]
            occupied[ok[:, None], pos[ok][:, None] + np.arange(width)[None, :]] = True
            todo[ok] = False
        present = pos >= 0
        rows = np.flatnonzero(present)
        core[rows[:, None], pos[rows][:, None] + np.arange(width)[None, :]] = np.frombuffer(
            motif.encode(), dtype=np.uint8
        )
        relative = np.where(present, pos / np.maximum(core_len - width, 1), 0.0)
        expression += np.where(present, effect * (0.5 + relative), 0.0)
        positions[name] = np.where(present, pos + len(ADAPTER_5), -1)
        present_by_name[name] = present
    first, second, bonus = INTERACTION
    expression += bonus * (present_by_name[first] & present_by_name[second])
    expression += noise * rng.standard_normal(n)
    expression = np.clip(expression, 0.0, 17.0)

    raw = core.tobytes().decode("ascii")
    lengths = core_len.tolist()
    sequences = [
        ADAPTER_5 + raw[i * max_core : i * max_core + lengths[i]] + ADAPTER_3 for i in range(n)
    ]
    frame = pd.DataFrame({"sequence": sequences, "expression": expression.astype(np.float32)})
    for name, pos in positions.items():
        frame[f"{name}_pos"] = pos
    frame.attrs["motifs"] = {
        name: {"motif": motif, "effect": effect, "position_slope": "effect * (0.5 + p)"}
        for name, (motif, effect) in PROMOTER_MOTIFS.items()
    }
    frame.attrs["interaction"] = {"motifs": [first, second], "effect": bonus}
    frame.attrs["noise"] = float(noise)
    frame.attrs["seed"] = int(seed)
    return frame


def planted_positions(
    frame: pd.DataFrame, *, length: int = DEFAULT_LENGTH
) -> dict[str, np.ndarray]:
    """Planted motif starts in encoded coordinates (left padding to ``length``, as the seed).

    Parameters
    ----------
    frame
        Output of :func:`synthetic_promoters`.
    length
        Padded length used by :func:`gexnb.data.sequences.encode_sequences`.

    Returns
    -------
    dict
        Motif name -> int64 array: column of the motif's first base in the encoded row, -1 if
        the motif is absent (or trimmed away when the sequence is longer than ``length``).
    """
    motifs = frame.attrs.get("motifs") or {
        col[: -len("_pos")]: None for col in frame.columns if col.endswith("_pos")
    }
    shift = int(length) - frame["sequence"].str.len().to_numpy()
    out: dict[str, np.ndarray] = {}
    for name in motifs:
        pos = frame[f"{name}_pos"].to_numpy().astype(np.int64)
        moved = pos + shift
        out[name] = np.where((pos >= 0) & (moved >= 0), moved, -1)
    return out


def synthetic_expression(
    n_samples: int = 2000,
    n_landmarks: int = 943,
    n_targets: int = 9520,
    *,
    seed: int = 0,
    n_factors: int = 10,
    noise: float = 0.3,
    n_studies: int = 1,
    study_shift: float = 0.5,
) -> pd.DataFrame:
    """Latent-factor expression matrix shaped like D-GEX's landmark -> target problem.

    Generative model (samples i, factors ``z_i ~ N(0, I_k)``):

    - landmarks: ``x_i = A z_i + noise`` (a linear mix of the factors);
    - targets: ``y_i = W h(z_i) + noise`` where ``h`` stacks a few linear terms, ``tanh``
      terms, pairwise products and absolute values of random projections of ``z_i``. Products
      and absolute values of Gaussian projections are uncorrelated with every linear function
      of ``z``, so linear regression from the landmarks (the LINCS / D-GEX baseline) leaves
      them unexplained while a non-linear model can learn them;
    - every gene then gets a log2-expression-like mean (4-12) and scale (0.5-2);
    - with ``n_studies > 1``, each study adds its own per-gene shift (a batch effect) of sd
      ``study_shift``; the study of each sample is in ``df.attrs["study"]``.

    All noise terms have sd ``noise`` before the per-gene scaling, so ``noise=0`` gives the
    noise-free truth for the same ``seed``.

    Parameters
    ----------
    n_samples, n_landmarks, n_targets
        Shape (D-GEX: 943 landmarks, 9,520 targets).
    seed
        Seed of the numpy random generator.
    n_factors
        Number of latent factors.
    noise
        Noise sd (in units of the standardised signal).
    n_studies
        Number of studies (batches).
    study_shift
        Sd of the per-study, per-gene shifts.

    Returns
    -------
    pandas.DataFrame
        float32, samples x genes, index ``S00001``..., landmark columns ``LM0001``..., target
        columns ``TG00001``...; ``attrs`` hold ``landmarks``, ``targets`` (column lists),
        ``study`` (label per sample) and the generating parameters.

    Raises
    ------
    ParameterError
        ``n_samples`` not an integer >= 2, another size not a positive integer, ``seed`` not
        a non-negative integer, ``noise`` or ``study_shift`` negative or NaN.
    """
    n = _check_size("n_samples", n_samples, 2)  # one sample has no spread to standardise
    n_lm = _check_size("n_landmarks", n_landmarks, 1)
    n_tg = _check_size("n_targets", n_targets, 1)
    k = _check_size("n_factors", n_factors, 1)
    n_studies = _check_size("n_studies", n_studies, 1)
    seed = _check_size("seed", seed, 0)
    if noise < 0 or study_shift < 0 or np.isnan(noise) or np.isnan(study_shift):
        raise ParameterError("noise and study_shift must be >= 0")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, k))
    mix = rng.standard_normal((k, n_lm)) / np.sqrt(k)
    landmarks = z @ mix

    n_basis = 8
    proj = rng.standard_normal((5, k, n_basis)) / np.sqrt(k)
    basis = np.concatenate(
        [
            z @ proj[0],  # linear part
            np.tanh(1.5 * (z @ proj[1])),
            (z @ proj[2]) * (z @ proj[3]),  # pairwise interactions
            np.abs(z @ proj[4]) - np.sqrt(2 / np.pi),
        ],
        axis=1,
    )
    basis /= basis.std(axis=0, keepdims=True)
    # weights: the linear block gets a smaller share, so most signal is non-linear
    block_scale = np.repeat([0.5, 1.0, 1.0, 1.0], n_basis)
    weights = rng.standard_normal((basis.shape[1], n_tg)) * block_scale[:, None]
    weights *= rng.random(weights.shape) < 0.5  # each target uses about half the basis
    targets = basis @ weights
    targets /= np.maximum(targets.std(axis=0, keepdims=True), 1e-12)

    landmarks += noise * rng.standard_normal(landmarks.shape)
    targets += noise * rng.standard_normal(targets.shape)
    values = np.concatenate([landmarks, targets], axis=1)
    n_genes = n_lm + n_tg
    scale = rng.uniform(0.5, 2.0, size=n_genes)
    mean = rng.uniform(4.0, 12.0, size=n_genes)
    values = values * scale + mean
    study = np.zeros(n, dtype=np.int64)
    if n_studies > 1:
        study = rng.integers(0, int(n_studies), size=n)
        shifts = study_shift * rng.standard_normal((int(n_studies), n_genes))
        values += shifts[study]

    lm_names = [f"LM{i:04d}" for i in range(1, n_lm + 1)]
    tg_names = [f"TG{i:05d}" for i in range(1, n_tg + 1)]
    frame = pd.DataFrame(
        values.astype(np.float32),
        index=pd.Index([f"S{i:05d}" for i in range(1, n + 1)], name="sample"),
        columns=lm_names + tg_names,
    )
    attrs: dict[str, Any] = {
        "landmarks": lm_names,
        "targets": tg_names,
        "study": [f"study{s + 1}" for s in study.tolist()],
        "seed": int(seed),
        "n_factors": k,
        "noise": float(noise),
        "n_studies": int(n_studies),
    }
    frame.attrs.update(attrs)
    return frame


def synthetic_options(given: Mapping[str, Any] | None, keys: Mapping[str, Any]) -> dict[str, Any]:
    """A notebook's ``synthetic`` mapping, checked and completed with its functions' defaults.

    Every notebook sizes its synthetic embedded default with one ``synthetic`` parameter (the
    same key for the same thing everywhere: ``n_sequences``, ``n_samples``, ``n_landmarks``,
    ``n_targets``, ``n_genes``, ...). A key left out takes the notebook's default: that of the
    function parameter it feeds, or the value ``keys`` gives. The notebook states the same
    values in its parameters cell; a test keeps the two equal.

    Parameters
    ----------
    given
        The notebook's ``synthetic`` value (``None`` or ``{}``: all defaults).
    keys
        Key -> ``(function, parameter name)`` whose default completes it, or the default.

    Returns
    -------
    dict
        Every key of ``keys`` -> the given value, else its default.

    Raises
    ------
    ParameterError
        For a key that is not in ``keys``, naming the valid ones.

    >>> synthetic_options({"n_samples": 50}, {"n_samples": (synthetic_expression, "n_samples"),
    ...                                       "noise": (synthetic_expression, "noise")})
    {'n_samples': 50, 'noise': 0.3}
    """
    given = dict(given or {})
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise ParameterError(
            f"unknown synthetic option(s) {', '.join(map(str, unknown))}; valid: {', '.join(keys)}"
        )
    return {key: given[key] if key in given else _default(spec) for key, spec in keys.items()}


def _default(spec: Any) -> Any:
    if isinstance(spec, tuple) and len(spec) == 2 and callable(spec[0]):
        func, name = spec
        return inspect.signature(func).parameters[name].default
    return spec


#: :func:`synthetic_expression`'s own parameters as ``synthetic`` options (notebook 03).
EXPRESSION_OPTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    name: (synthetic_expression, name)
    for name in inspect.signature(synthetic_expression).parameters
}


#: The synthetic landmark -> target data of notebooks 01 and 03 (notebook 01 describes the
#: data notebook 03 trains on): :func:`synthetic_expression`'s keywords but ``seed`` (each
#: notebook's own ``seed``), at those notebooks' sizes; a key left out of a partial
#: ``synthetic`` mapping takes its value here (:func:`synthetic_options`).
LANDMARK_SYNTHETIC: Mapping[str, Any] = MappingProxyType(
    {
        "n_samples": 600,
        "n_landmarks": 60,
        "n_targets": 120,
        "n_factors": 4,
        "noise": 0.1,
        "n_studies": 3,
        "study_shift": (synthetic_expression, "study_shift"),
    }
)
