"""Shared fixtures: the real public data in ``../shared/data`` (or ``$GEXNB_DATA``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from gexnb.backend import choose_backend  # noqa: E402

choose_backend()  # $KERAS_BACKEND, else the first installed of tensorflow, jax, torch

PROJECT_DIR = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Folder of the real public data sets used by tests and benchmarks."""
    return Path(os.environ.get("GEXNB_DATA", PROJECT_DIR.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; the test is skipped when the folder is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} not found (set GEXNB_DATA)")
    return path


#: Length of the small saved BiGRU of the prediction tests (:func:`model_path`).
PREDICT_LENGTH = 20


@pytest.fixture(scope="session")
def model_path(tmp_path_factory) -> Path:
    """A small Metformin-121 BiGRU saved as ``.keras`` (length :data:`PREDICT_LENGTH`)."""
    from gexnb.models import build

    path = tmp_path_factory.mktemp("model") / "m.keras"
    build("metformin_bigru", length=PREDICT_LENGTH, n_layers=1, units=4).save(path)
    return path
