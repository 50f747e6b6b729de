"""Motif discovery: attributions -> TF-MoDISco -> matching, and logos."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("modiscolite")

from gexnb.data.sequences import encode_sequences  # noqa: E402
from gexnb.errors import InputError, ParameterError  # noqa: E402
from gexnb.explain import (  # noqa: E402
    consensus_matrix,
    discover_motifs,
    hypothetical_contributions,
    motif_similarity,
    read_meme_motifs,
    sequence_one_hot,
)
from gexnb.models.layers import OneHotCodes  # noqa: E402

MOTIF = "TTACCCGG"
LENGTH = 60
_CHANNEL = {"T": 0, "C": 1, "G": 2, "A": 3}  # gexnb's one-hot channel order


def _motif_model() -> keras.Model:
    """Output = number of MOTIF occurrences + a small fixed linear function of the sequence."""
    inputs = keras.Input((LENGTH,), dtype="uint8")
    one_hot = OneHotCodes()(inputs)
    match = keras.layers.Conv1D(1, len(MOTIF), activation="relu")
    background = keras.layers.Conv1D(1, 1, use_bias=False)
    hits = keras.layers.GlobalAveragePooling1D()(match(one_hot))
    noise = keras.layers.GlobalAveragePooling1D()(background(one_hot))
    out = keras.layers.Add()([hits, noise])
    model = keras.Model(inputs, out)
    kernel = np.zeros((len(MOTIF), 4, 1), "float32")
    for j, base in enumerate(MOTIF):
        kernel[j, _CHANNEL[base], 0] = 1.0
    match.set_weights([kernel, np.array([-(len(MOTIF) - 1.0)], "float32")])
    rng = np.random.default_rng(3)
    background.set_weights([rng.normal(0, 0.02, size=(1, 4, 1)).astype("float32")])
    return model


def _sequences(
    n: int, seed: int = 0, *, shortest: int = LENGTH, at_start: bool = False
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    seqs = []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), int(rng.integers(shortest, LENGTH + 1))))
        if i % 2 == 0:
            p = 0 if at_start else int(rng.integers(0, len(s) - len(MOTIF)))
            s[p : p + len(MOTIF)] = list(MOTIF)
        seqs.append("".join(s))
    return encode_sequences(seqs, length=LENGTH)


def test_hypothetical_contributions_are_mean_centred_ism_in_acgt_order():
    model = _motif_model()
    codes = _sequences(4)
    hyp = hypothetical_contributions(model, codes, method="ism")
    assert hyp.shape == (4, LENGTH, 4)
    np.testing.assert_allclose(hyp.sum(axis=2), 0.0, atol=1e-6)
    one_hot = sequence_one_hot(codes)
    assert one_hot.shape == (4, LENGTH, 4) and np.all(one_hot.sum(axis=2) == 1)
    # at the planted motif, the reference base is the best one: positive contribution
    contrib = (hyp * one_hot).sum(axis=2)
    assert contrib[0].max() > 0.01 and contrib[1].max() < contrib[0].max() / 5
    grad = hypothetical_contributions(model, codes, method="gradient")
    np.testing.assert_allclose(grad.sum(axis=2), 0.0, atol=1e-5)
    with pytest.raises(ParameterError, match="method"):
        hypothetical_contributions(model, codes, method="shap")


def test_a_model_of_one_motif_gives_that_motif_back():
    """Sequences of different lengths (left padding), as real promoter sets are, with the
    motif at their 5' end: every seqlet reaches into the padding."""
    model = _motif_model()
    codes = _sequences(600, shortest=30, at_start=True)
    assert (codes == 5).any()
    result = discover_motifs(model, codes, known={"planted": MOTIF, "tata": "TATAAA"})
    assert result.motifs, result.note
    top = result.motifs[0]
    assert top.sign == 1 and top.n_seqlets >= 20
    assert top.best_match == "planted" and top.similarity >= 0.9
    assert MOTIF in top.consensus or top.consensus in MOTIF
    table = result.table()
    assert list(table.columns) == [
        "motif", "sign", "consensus", "n_seqlets", "best_match", "similarity"
    ]  # fmt: skip
    from gexnb.plot import motif_logos

    fig = motif_logos(result.motifs)
    assert len(fig.axes) == 2 * min(6, len(result.motifs))


def test_no_pattern_is_said_not_hidden():
    inputs = keras.Input((LENGTH,), dtype="uint8")
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.ops.cast(inputs, "float32") * 0.0))
    result = discover_motifs(model, _sequences(50))
    assert result.motifs == [] and "TF-MoDISco found no" in result.note
    with pytest.raises(ParameterError, match="unknown TF-MoDISco option"):
        discover_motifs(model, _sequences(5), modisco_options={"window": 3})


def test_motif_similarity_and_meme_files(tmp_path):
    planted = consensus_matrix("TTACCCGG")
    assert motif_similarity(planted, planted) == pytest.approx(1.0)
    assert motif_similarity(consensus_matrix("CCGGGTAA"), planted) == pytest.approx(1.0)  # rc
    assert motif_similarity(consensus_matrix("TACCCG"), planted) == pytest.approx(1.0)  # inside
    assert motif_similarity(consensus_matrix("GGGG"), planted) < 0.7
    # a short core cannot match perfectly: its missing columns of six count 0 (a reviewer
    # found TA, AAA, CCCG scoring 1.00 against the planted motifs)
    assert motif_similarity(consensus_matrix("ACCC"), planted) == pytest.approx(4 / 6)
    assert motif_similarity(consensus_matrix("TA"), planted) == pytest.approx(2 / 6)
    assert motif_similarity(consensus_matrix("TATA"), consensus_matrix("TATAAA")) < 0.7
    assert motif_similarity(consensus_matrix("TA"), consensus_matrix("TAC")) == pytest.approx(
        2 / 3
    )  # both shorter than six: over the longer one's width
    meme = tmp_path / "m.meme"
    rows = {"A": " 1.0 0.0 0.0 0.0\n", "G": " 0.0 0.0 1.0 0.0\n", "T": " 0.0 0.0 0.0 1.0\n"}
    meme.write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
        "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
        "MOTIF M1 tata\nletter-probability matrix: alength= 4 w= 6 nsites= 10 E= 0\n"
        + "".join(rows[b] for b in "TATAAA")
        + "\nMOTIF M2 gata\nletter-probability matrix: alength= 4 w= 4 nsites= 10 E= 0\n"
        + "".join(rows[b] for b in "GATA")  # 4 x 4: read as positions x bases too
    )
    motifs = read_meme_motifs(meme)
    assert list(motifs) == ["M1 tata", "M2 gata"] and motifs["M1 tata"].shape == (6, 4)
    assert motif_similarity(motifs["M1 tata"], consensus_matrix("TATAAA")) == pytest.approx(1.0)
    np.testing.assert_array_equal(motifs["M2 gata"], consensus_matrix("GATA"))
    with pytest.raises(InputError, match="motif file not found"):
        read_meme_motifs(tmp_path / "none.meme")
    jaspar = tmp_path / "MA0099.jaspar"  # JASPAR's own format: what is expected is said
    jaspar.write_text(">MA0099.3\tFOS::JUN\nA [ 0 0 9 ]\nC [ 0 9 0 ]\nG [ 9 0 0 ]\nT [ 0 0 0 ]\n")
    with pytest.raises(InputError, match="MEME-format motif file is expected.*jaspar2meme"):
        read_meme_motifs(jaspar)


def test_a_weak_match_is_not_named():
    """A found ``TG`` was named after AP-1 at similarity 0.33 (a new user's trial): below
    MATCH_SIMILARITY the name stays empty, the closest score is kept."""
    from gexnb.explain import Motif, match_motifs

    def found(core: str) -> Motif:
        ppm = consensus_matrix(core)
        return Motif("pos_0", 1, ppm, ppm, ppm, 20)

    weak, strong = match_motifs([found("TG"), found("TGACTCA")], {"AP1": "TGACTCA"})
    assert weak.best_match == "" and weak.similarity == pytest.approx(2 / 6)
    assert strong.best_match == "AP1" and strong.similarity == pytest.approx(1.0)


def test_motif_similarity_refuses_nan_and_empty_motifs():
    planted = consensus_matrix(MOTIF)
    with pytest.raises(InputError, match=r"motif a holds NaN or infinite values"):
        motif_similarity(np.full((3, 4), np.nan), planted)
    with pytest.raises(InputError, match=r"motif b is empty \(0 positions\)"):
        motif_similarity(planted, np.zeros((0, 4)))
    from gexnb.explain import Motif, match_motifs

    found = Motif("pos_0", 1, planted, planted, planted, 20)
    bad = planted.copy()
    bad[2, 1] = np.nan
    with pytest.raises(InputError, match=r"known motif 'bad' holds NaN .*position 2"):
        match_motifs([found], {"good": MOTIF, "bad": bad})


def test_discover_motifs_refuses_what_is_not_a_sequence_model():
    codes = _sequences(4)
    with pytest.raises(ParameterError, match="discover_motifs: model must be a Keras model"):
        discover_motifs(np.zeros((4, LENGTH, 4), "float32"), codes)
    inputs = keras.Input((LENGTH,))
    landmark = keras.Model(inputs, keras.layers.Dense(1)(inputs), name="landmark_mlp")
    with pytest.raises(ParameterError, match="discover_motifs needs a sequence model"):
        discover_motifs(landmark, codes)
