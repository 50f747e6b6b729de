"""Losses of the papers' recipes that Keras does not name (registered for ``.keras`` saving)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["summed_squared_error", "LOSSES", "resolve_loss"]


@keras.saving.register_keras_serializable(package="gexnb")
def summed_squared_error(y_true: Any, y_pred: Any) -> Any:
    """Squared error summed over the outputs (then averaged over the batch by Keras).

    The cost D-GEX trained with (Chen et al. 2016 [1]_): pylearn2's ``Linear`` output layer
    sums the squared errors of its outputs and averages over the batch. Keras's ``"mse"``
    averages over the outputs instead, so with plain SGD every gradient would be
    ``1 / n_outputs`` of the authors' (1/4,760 per D-GEX chunk): the same learning rate
    would barely train.

    Parameters
    ----------
    y_true, y_pred
        Targets and predictions ``(batch, outputs)``.

    Returns
    -------
    tensor
        ``(batch,)`` summed squared errors.

    References
    ----------
    .. [1] Y. Chen, Y. Li, R. Narayan, A. Subramanian and X. Xie, "Gene expression inference
       with deep learning", Bioinformatics 32(12), 1832-1839 (2016); the authors' scripts
       (uci-cbcl/D-GEX, ``H*_*.py``) train pylearn2 MLPs with a ``Linear`` output layer.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    return ops.sum(ops.square(y_pred - y_true), axis=-1)


#: Loss names gexnb adds to Keras's own (``TrainingConfig.loss``).
LOSSES = {"summed_squared_error": summed_squared_error}


def resolve_loss(loss: Any) -> Any:
    """A gexnb loss name as its function; any other loss (a Keras name, an object) as is.

    Parameters
    ----------
    loss
        ``TrainingConfig.loss``.

    Returns
    -------
    Any
        What ``keras.Model.compile(loss=...)`` takes.
    """
    return LOSSES.get(loss, loss) if isinstance(loss, str) else loss
