"""Model explanations: attributions (:mod:`gexnb.explain.attributions`) and the motifs they
reveal (:mod:`gexnb.explain.motifs`).

Every name is available from :mod:`gexnb.explain`.
"""

from gexnb.explain.attributions import (
    ACGT,
    attention_weights,
    centre_scores,
    find_attention_layer,
    gradient_x_input,
    has_attention,
    hypothetical_contributions,
    in_silico_mutagenesis,
    sequence_one_hot,
)
from gexnb.explain.motifs import (
    MODISCO_DEFAULTS,
    Motif,
    MotifResult,
    consensus_matrix,
    discover_motifs,
    match_motifs,
    motif_similarity,
    read_meme_motifs,
)

__all__ = [
    "ACGT",
    "attention_weights",
    "centre_scores",
    "find_attention_layer",
    "gradient_x_input",
    "has_attention",
    "hypothetical_contributions",
    "in_silico_mutagenesis",
    "sequence_one_hot",
    "Motif",
    "MotifResult",
    "MODISCO_DEFAULTS",
    "consensus_matrix",
    "discover_motifs",
    "match_motifs",
    "motif_similarity",
    "read_meme_motifs",
]
