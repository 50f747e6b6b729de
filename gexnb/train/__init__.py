"""Training engine: ``fit``, ``predict``, ``predict_file``, ``load_model``, recipes.

Keras ``Model.fit`` underneath, with what a long run needs: a best-validation checkpoint
(``best.keras``), a full per-epoch checkpoint with the optimizer state (``last.keras``,
carrying its epoch count and history) so that ``resume=True`` continues a killed run exactly
after its last checkpoint, the history written as JSON and CSV (atomically), a progress bar,
early stopping, seeds, mixed precision on GPUs and data-parallel distribution
(``tf.distribute.MirroredStrategy``, ``MultiWorkerMirroredStrategy`` from ``TF_CONFIG``, or
``keras.distribution.DataParallel`` on JAX). The training recipe is the one of DREAM 2022 team
Metformin-121 (Rafi et al. 2024): MSE loss, Adam with learning rate 1e-3, keep the weights
with the best validation loss.

Modules:

- :mod:`gexnb.train.config`: :class:`TrainingConfig`, every training setting and its default.
- :mod:`gexnb.train.fit`: :func:`fit` and :class:`TrainResult`.
- :mod:`gexnb.train.callbacks`: checkpoints (and their file names), BatchNorm recalibration.
- :mod:`gexnb.train.distribute`: devices, precision, distribution strategies.
- :mod:`gexnb.train.cudnn`: :func:`cudnn_report`, will each GRU/LSTM use the cuDNN kernel.
- :mod:`gexnb.train.inputs`: checks of a model's inputs.
- :mod:`gexnb.train.optimizers`: :func:`make_optimizer`.
- :mod:`gexnb.train.predict`: :func:`load_model`, :func:`predict`, :func:`predict_file`.
- :mod:`gexnb.train.recipes`: multi-phase recipes (:func:`train_egex`).

Sequence inputs stay uint8 codes (one byte per base) all the way into the model, which
one-hots them in the graph (see :mod:`gexnb.models.promoter`).
"""

from gexnb.train.callbacks import (
    BEST_NAME,
    CHECKPOINT_FILES,
    HISTORY_CSV,
    HISTORY_JSON,
    LAST_NAME,
    LAST_STATE_NAME,
    BatchNormRecalibration,
    DecayOnRise,
    ValidationPearson,
    checkpoint_state,
    recalibrate_batchnorm,
)
from gexnb.train.config import PREDICT_BATCH_SIZE, TrainingConfig
from gexnb.train.cudnn import cudnn_report
from gexnb.train.distribute import resolve_precision
from gexnb.train.fit import TrainResult, fit
from gexnb.train.inputs import check_model_input, takes_sequence_codes
from gexnb.train.optimizers import OPTIMIZERS, OneCycle, ScaledSGD, make_optimizer
from gexnb.train.predict import flag_count, load_model, predict, predict_file
from gexnb.train.recipes import METFORMIN_121, PRIX_FIXE, EGEXResult, dgex_recipe, train_egex

__all__ = [
    "TrainingConfig",
    "cudnn_report",
    "TrainResult",
    "fit",
    "predict",
    "predict_file",
    "flag_count",
    "load_model",
    "checkpoint_state",
    "check_model_input",
    "takes_sequence_codes",
    "resolve_precision",
    "recalibrate_batchnorm",
    "BatchNormRecalibration",
    "ValidationPearson",
    "make_optimizer",
    "ScaledSGD",
    "OneCycle",
    "DecayOnRise",
    "dgex_recipe",
    "OPTIMIZERS",
    "train_egex",
    "EGEXResult",
    "METFORMIN_121",
    "PREDICT_BATCH_SIZE",
    "PRIX_FIXE",
    "BEST_NAME",
    "LAST_NAME",
    "LAST_STATE_NAME",
    "HISTORY_JSON",
    "HISTORY_CSV",
    "CHECKPOINT_FILES",
]
