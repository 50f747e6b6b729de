"""Distribution paths of gexnb.train.fit, each in fresh processes (TensorFlow backend):
MirroredStrategy over two logical CPU devices against one device, and two local
MultiWorkerMirroredStrategy workers talking over 127.0.0.1 (TF_CONFIG)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("tensorflow")

WORKER = textwrap.dedent(
    """
    import json, os, sys
    mode, out = sys.argv[1], sys.argv[2]
    import tensorflow as tf
    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    from gexnb import train
    from gexnb.models import build

    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(64, 12)).astype(np.uint8)
    y = (x == 3).mean(axis=1).astype("float32")

    def factory():
        keras.utils.set_random_seed(0)
        model = build("metformin_bigru", length=12, n_layers=1, units=4, dropout=0.0,
                      batch_norm=False)
        model.set_weights([np.full(w.shape, 0.05, "float32") * np.sign(np.arange(w.size)
                           .reshape(w.shape) % 3 - 1) for w in model.get_weights()])
        return model

    runs = {"mirrored": ["none", "mirrored"], "multiworker": ["multiworker"]}[mode]
    report = {}
    for distribution in runs:
        result = train.fit(factory, (x, y), epochs=2, batch_size=64, learning_rate=0.05,
                           optimizer="sgd", output_dir=out, distribution=distribution, verbose=0)
        report[distribution] = {"loss": result.history["loss"], "replicas": result.replicas}
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(report, f)
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", KERAS_BACKEND="tensorflow")
    env.pop("TF_CONFIG", None)
    return env


def _run(tmp_path, mode: str) -> dict:
    out = tmp_path / mode
    out.mkdir()
    subprocess.run(
        [sys.executable, "-c", WORKER, mode, str(out)], env=_env(), check=True, timeout=180
    )
    return json.loads((out / "result.json").read_text())


def test_mirrored_two_logical_cpus_matches_one_device(tmp_path):
    report = _run(tmp_path, "mirrored")  # one process: one device, then two logical CPUs
    single, mirrored = report["none"], report["mirrored"]
    assert single["replicas"] == 1
    assert mirrored["replicas"] == 2
    # Epoch 1: the loss of the initial weights; epoch 2: after one all-reduced SGD step.
    np.testing.assert_allclose(mirrored["loss"], single["loss"], rtol=1e-4)


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_multiworker_two_local_processes_complete_an_epoch(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        out = tmp_path / f"worker{index}"
        out.mkdir()
        env = _env()
        env["TF_CONFIG"] = json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}
        )
        procs.append(
            subprocess.Popen([sys.executable, "-c", WORKER, "multiworker", str(out)], env=env)
        )
    try:
        codes = [p.wait(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert codes == [0, 0]
    chief = json.loads((tmp_path / "worker0" / "result.json").read_text())["multiworker"]
    other = json.loads((tmp_path / "worker1" / "result.json").read_text())["multiworker"]
    assert chief["replicas"] == 2 and len(chief["loss"]) == 2
    np.testing.assert_allclose(chief["loss"], other["loss"], rtol=1e-5)
    # Only the chief writes checkpoints.
    assert (tmp_path / "worker0" / "last.keras").is_file()
    assert not (tmp_path / "worker1" / "last.keras").exists()
