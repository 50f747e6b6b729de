"""Devices, precision and data-parallel distribution for :func:`gexnb.train.fit`.

TensorFlow ``MirroredStrategy`` / ``MultiWorkerMirroredStrategy`` (from ``TF_CONFIG``) and
``keras.distribution.DataParallel`` on JAX; mixed precision on GPUs.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import keras

from gexnb.errors import ParameterError
from gexnb.train.config import DISTRIBUTIONS, PRECISIONS


def _gpus() -> list[Any]:
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.config.list_physical_devices("GPU")
    if keras.backend.backend() == "jax":
        import jax

        return [d for d in jax.devices() if d.platform == "gpu"]
    if keras.backend.backend() == "torch":
        import torch

        return list(range(torch.cuda.device_count()))
    return []


def _memory_growth() -> None:
    """Let TensorFlow allocate GPU memory as needed instead of all of it at start."""
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # devices already initialised: keep the current setting
            pass


def resolve_precision(precision: str = "auto") -> str:
    """Keras dtype policy for ``precision``.

    ``"auto"`` gives ``"mixed_float16"`` when a GPU is visible and ``"float32"`` otherwise
    (mixed precision: Micikevicius et al. 2018); ``"float32"``, ``"mixed_float16"`` and
    ``"mixed_bfloat16"`` are returned as given.

    Parameters
    ----------
    precision
        One of :data:`~gexnb.train.config.PRECISIONS`.

    Returns
    -------
    str
        ``"float32"``, ``"mixed_float16"`` or ``"mixed_bfloat16"``.

    Raises
    ------
    ParameterError
        For any other value.
    """
    if precision not in PRECISIONS:
        raise ParameterError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        return "mixed_float16" if _gpus() else "float32"
    return precision


def _strategy(distribution: Any) -> Any:
    """A ``tf.distribute`` strategy (TF backend), or None; sets DataParallel on JAX."""
    if distribution is None:
        distribution = "none"
    if not isinstance(distribution, str):
        return distribution  # a tf.distribute.Strategy given by the caller
    if distribution not in DISTRIBUTIONS:
        raise ParameterError(f"distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")
    backend = keras.backend.backend()
    if distribution == "none":
        return None
    if backend == "jax":
        import jax

        if distribution == "auto" and len(jax.devices()) < 2:
            return None
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        return None
    if backend != "tensorflow":
        if distribution == "auto":
            return None
        raise ParameterError(
            f"distribution={distribution!r} needs the TensorFlow or JAX backend, not {backend}"
        )
    import tensorflow as tf

    if distribution == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else None
    if distribution == "mirrored":
        if tf.config.list_logical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=cpus)
    if distribution == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise ParameterError("distribution='multiworker' needs the TF_CONFIG variable")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ParameterError("distribution='data_parallel' needs the JAX backend")


def _is_chief() -> bool:
    """True unless TF_CONFIG names this process as a non-chief worker."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    config = json.loads(raw)
    task = config.get("task", {})
    kind, index = task.get("type", "worker"), int(task.get("index", 0))
    if kind == "chief":
        return True
    has_chief = bool(config.get("cluster", {}).get("chief"))
    return kind == "worker" and index == 0 and not has_chief


def _collective(strategy: Any) -> bool:
    if strategy is None or keras.backend.backend() != "tensorflow":
        return False  # tf.distribute strategies exist on TensorFlow only
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _collective_dataset(data: Any, batch_size: int, *, shuffle: bool = False, seed: Any = None):
    """tf.data input for MultiWorkerMirroredStrategy, codes widened to int32 per batch.

    Keras 3 all-reduces one input batch across workers to build the model, and collective
    ops have no uint8 kernel (keras-team/keras#20585), so each batch is cast after batching:
    the arrays in memory stay one byte per base.
    """
    if not isinstance(data, tuple):
        return data
    import tensorflow as tf

    x, y = data
    if isinstance(x, tuple):
        raise ParameterError("distribution='multiworker' needs x as one array, not (codes, flags)")
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    widen = x.dtype.kind in "ui" and x.dtype.itemsize < 4
    dataset = dataset.batch(batch_size)
    if widen:
        dataset = dataset.map(lambda a, b: (tf.cast(a, tf.int32), b))
    return dataset.prefetch(2)


def _prebuild_for_collective(net: Any, strategy: Any, dataset: Any) -> None:
    """Build model, optimizer and loss before ``fit`` under MultiWorkerMirroredStrategy.

    Keras 3 builds the model in ``fit`` from a batch obtained with an eager
    ``strategy.reduce`` that fails for ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585).
    We build from one local batch inside the strategy scope instead and let ``fit`` find the
    strategy from the enclosing scope (``tf.distribute.get_strategy()``).
    """
    batch = next(iter(dataset))
    with strategy.scope():
        net._symbolic_build(data_batch=(batch[0], batch[1], None))
    net._distribute_strategy = None
    _patch_multiworker_reduce()


def _patch_multiworker_reduce() -> None:
    """Keras 3 reduces scalar metrics over workers with ``axis=0``, which fails on rank-0
    values under MultiWorkerMirroredStrategy; reduce those with ``axis=None`` instead.

    This replaces a private Keras function (pinned Keras 3.5-3.x); if a Keras release
    renames it, a warning says the workaround was not applied instead of failing.
    """
    try:
        from keras.src.backend.tensorflow import trainer as tf_trainer

        if getattr(tf_trainer.reduce_per_replica, "_gexnb_patched", False):
            return
    except (ImportError, AttributeError) as exc:
        warnings.warn(
            f"gexnb: Keras {keras.__version__} has no trainer.reduce_per_replica ({exc}); the "
            "MultiWorkerMirroredStrategy metric-reduction workaround was not applied",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
        import tensorflow as tf

        if reduction in ("auto", "mean") and isinstance(
            strategy, tf.distribute.MultiWorkerMirroredStrategy
        ):
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original(values, strategy, reduction)

    reduce_per_replica._gexnb_patched = True  # type: ignore[attr-defined]
    tf_trainer.reduce_per_replica = reduce_per_replica


class _null_scope:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None
