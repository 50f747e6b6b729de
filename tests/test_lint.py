"""The house rules that tools can check: the code is ruff-clean and its annotations type-check.

``make lint`` runs the same commands; here they run in ``make test`` (and so in CI), so a change
that breaks them fails the suite instead of waiting for someone to run the linter.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR

CHECKS = {
    "ruff check": [sys.executable, "-m", "ruff", "check", "gexnb", "tests", "benchmarks"],
    "ruff format": [
        sys.executable,
        "-m",
        "ruff",
        "format",
        "--check",
        "gexnb",
        "tests",
        "benchmarks",
    ],  # fmt: skip
    "mypy": [sys.executable, "-m", "mypy"],  # settings in pyproject.toml [tool.mypy]
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_code_passes(name):
    done = subprocess.run(
        CHECKS[name], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
