"""Model zoo: ``gexnb.models.build(name, **hparams)``.

Zoo modules:

- :mod:`gexnb.models.layers`: custom Keras layers (context attention, TAAF units).
- :mod:`gexnb.models.promoter`: ``metformin_bigru`` (DREAM 2022, team Metformin-121).
- :mod:`gexnb.models.legnet`: ``legnet`` (DREAM 2022 winner, team autosome.org).
- :mod:`gexnb.models.dream_cnn`: ``dream_cnn`` (Prix Fixe DREAM-CNN, Rafi et al. 2024).
- :mod:`gexnb.models.landmark`: ``dgex``, ``taaf_dgex``, ``egex`` (D-GEX, TAAF, E-GEX).
- :mod:`gexnb.models.gene_sequence`: ``dnn``, ``lstm``, ``gru``, ``attention_lstm``,
  ``attention_gru`` over genes read as a sequence.
- :mod:`gexnb.models.baselines`: scikit-learn baselines behind one fit/predict interface.

Importing :mod:`gexnb.models` imports the modules that define Keras classes, so that every
gexnb layer and model is registered for ``.keras`` saving, and so are the optimizer and
learning-rate schedule of gexnb's recipes (:class:`gexnb.train.ScaledSGD`,
:class:`gexnb.train.OneCycle`) that training checkpoints hold: a file written by gexnb loads
with plain ``keras.saving.load_model`` after ``import gexnb.models``. The scikit-learn zoo
modules are imported on the first :func:`build` or :func:`available` call.
"""

from gexnb.models import (  # noqa: F401
    dream_cnn,
    gene_sequence,
    landmark,
    layers,
    legnet,
    promoter,
    taaf,
)
from gexnb.models.registry import available, build, get_factory, model_kind, register_model
from gexnb.models.saving import load_model

# last: the optimizer and schedule of training checkpoints (best.keras, last.keras), ScaledSGD
# of the D-GEX recipe and OneCycle of Prix Fixe, registered too (gexnb.train imports this)
from gexnb.train import losses as _losses  # noqa: E402, F401
from gexnb.train import optimizers as _optimizers  # noqa: E402, F401

__all__ = ["build", "available", "get_factory", "model_kind", "register_model", "load_model"]
