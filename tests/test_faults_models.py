"""Fault tests of model entry points: gexnb predict, fit and explanations refuse inputs that
the model would silently mis-read (Trustworthy results; see docs/reliability.md)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gexnb import explain, train  # noqa: E402
from gexnb.errors import InputError, ParameterError  # noqa: E402
from gexnb.models import build  # noqa: E402

LENGTH = 12


@pytest.fixture(scope="module")
def bigru():
    return build("metformin_bigru", length=LENGTH, n_layers=1, units=4)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, bigru):
    folder = tmp_path_factory.mktemp("models")
    bigru.save(folder / "bigru.keras")
    build("dgex", n_landmarks=LENGTH, n_targets=3, hidden=(4,)).save(folder / "dgex.keras")
    two = keras.Model(bigru.inputs, [bigru.outputs[0], bigru.outputs[0]], name="two_heads")
    two.save(folder / "two.keras")
    (folder / "in.txt").write_text("ACGT\t1\nACGTT\t2\n")
    return folder


def test_predict_refuses_a_model_that_does_not_take_sequences(saved, tmp_path):
    with pytest.raises(InputError, match=r"dgex\.keras: holds a Functional 'dgex'.* does not take"):
        train.predict_file(saved / "dgex.keras", saved / "in.txt", tmp_path / "o.tsv")


def test_predict_refuses_several_outputs(saved, tmp_path):
    with pytest.raises(InputError, match=r"two\.keras: the model predicts \(1,\), \(1,\)"):
        train.predict_file(saved / "two.keras", saved / "in.txt", tmp_path / "o.tsv")


def test_predict_output_path_problems(saved, tmp_path):
    model, src = saved / "bigru.keras", saved / "in.txt"
    with pytest.raises(InputError, match="is a folder"):
        train.predict_file(model, src, tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="afile is a file, not a folder"):
        train.predict_file(model, src, tmp_path / "afile" / "o.tsv")
    with pytest.raises(InputError, match="does not exist"):
        train.predict_file(model, src, tmp_path / "missing" / "o.tsv")
    copy = tmp_path / "in.txt"
    copy.write_text(src.read_text())
    with pytest.raises(InputError, match="is the input file"):
        train.predict_file(model, copy, copy)
    assert copy.read_text() == src.read_text()
    assert train.predict_file(model, src, tmp_path / "o.tsv") == 2


def test_fit_refuses_codes_outside_the_alphabet(bigru, tmp_path):
    x = np.zeros((16, LENGTH), dtype=np.uint8)
    x[3, 4] = 9
    y = np.zeros(16, dtype="float32")
    with pytest.raises(InputError, match=r"train: code 9 at row 3, position 5; codes must lie"):
        train.fit(bigru, (x, y), epochs=1, batch_size=8, output_dir=tmp_path, verbose=0)
    with pytest.raises(InputError, match="takes uint8 sequence codes, got float32"):
        train.fit(bigru, (x.astype("float32"), y), epochs=1, batch_size=8, output_dir=tmp_path)


def test_explanations_check_their_inputs(bigru):
    codes = np.zeros((2, LENGTH), dtype=np.uint8)
    bad = codes.copy()
    bad[1, 0] = 7
    with pytest.raises(InputError, match="code 7 at row 1, position 1"):
        explain.in_silico_mutagenesis(bigru, bad)
    with pytest.raises(InputError, match="code 7 at row 1, position 1"):
        explain.gradient_x_input(bigru, bad)
    with pytest.raises(InputError, match="code 7 at row 1, position 1"):
        explain.attention_weights(bigru, bad)
    short = np.zeros((2, LENGTH - 2), dtype=np.uint8)
    with pytest.raises(InputError, match=f"length {LENGTH - 2}, shorter than the model length"):
        explain.attention_weights(bigru, short)
    with pytest.raises(ParameterError, match=r"output must be in 0\.\.0"):
        explain.in_silico_mutagenesis(bigru, codes, output=1)
    genes = build("attention_lstm", n_genes=6, units=4)
    with pytest.raises(InputError, match=r"each sample has shape \(5,\), but the model expects"):
        explain.attention_weights(genes, np.zeros((3, 5), dtype="float32"))
    assert explain.attention_weights(bigru, codes).shape == (2, LENGTH)


def test_an_unknown_hyperparameter_names_the_ones_the_model_takes():
    from gexnb.errors import ParameterError
    from gexnb.models import build

    with pytest.raises(ParameterError, match=r"dgex: unknown hyperparameter\(s\) n_inputs; "
                       r"it takes n_landmarks, n_targets, hidden"):  # fmt: skip
        build("dgex", n_inputs=3)


def test_a_damaged_keras_file_says_so(tmp_path):
    from gexnb.errors import InputError
    from gexnb.train import load_model

    path = tmp_path / "m.keras"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match=r"m\.keras: not a \.keras archive .*truncated, damaged"):
        load_model(path)  # was "File not found", though the file exists


def test_builders_refuse_sizes_and_activations_they_misread():
    """hidden="64" built layers of 6 and 4 units, n_landmarks=2.7 and units=2.5 were
    truncated, hidden=4 was a bare TypeError for D-GEX (but one layer for the DNN), unknown
    activations were raw Keras errors and leaky_slope=nan built (API fault sweep)."""
    from gexnb.models import build

    with pytest.raises(ParameterError, match="hidden must be a sequence of positive integers"):
        build("dgex", n_landmarks=3, n_targets=2, hidden="64")
    with pytest.raises(ParameterError, match=r"n_landmarks must be an integer >= 1, got 2\.7"):
        build("dgex", n_landmarks=2.7, n_targets=2, hidden=(4,))
    with pytest.raises(ParameterError, match=r"hidden\[0\] must be an integer >= 1, got 4\.9"):
        build("taaf_dgex", n_landmarks=3, n_targets=2, hidden=(4.9,))
    assert (
        build("dgex", n_landmarks=3, n_targets=2, hidden=4).count_params() == 3 * 4 + 4 + 4 * 2 + 2
    )
    with pytest.raises(ParameterError, match=r"lstm: units\[0\] must be an integer >= 1, got 2\.5"):
        build("lstm", n_genes=4, n_targets=1, units=2.5)
    # whole floats (YAML, JSON) and arrays are sizes too (found by a review)
    assert build("dgex", n_landmarks=3.0, n_targets=2, hidden=[4.0]).count_params() == 26
    assert build("dnn", n_genes=4, n_targets=1, hidden=np.array([8, 8])).count_params() == 121
    assert build("lstm", n_genes=4, n_targets=1, units=8.0).count_params() > 0
    with pytest.raises(ParameterError, match="activation: unknown activation 'foo'"):
        build("dnn", n_genes=4, n_targets=1, activation="foo")
    with pytest.raises(ParameterError, match="output_activation: unknown activation 'foo'"):
        build("metformin_bigru", length=10, n_layers=1, units=2, output_activation="foo")
    with pytest.raises(ParameterError, match="leaky_slope must be a finite number, got nan"):
        build("metformin_bigru", length=10, n_layers=1, units=2, leaky_slope=float("nan"))
    with pytest.raises(ParameterError, match="dropout must be in"):
        build("egex", n_landmarks=3, n_targets=2, dropout=float("nan"))
