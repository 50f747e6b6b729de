"""A notebook run must not leave GEXNB_DATA (or anything else) set in the calling process."""

from __future__ import annotations

import os

from gexnb.runner import _kernel_environment


def test_kernel_environment_restores_os_environ(monkeypatch):
    monkeypatch.delenv("GEXNB_DATA", raising=False)
    with _kernel_environment(GEXNB_DATA="/tmp/data"):
        assert os.environ["GEXNB_DATA"] == "/tmp/data"
    assert "GEXNB_DATA" not in os.environ


def test_kernel_environment_keeps_a_user_value(monkeypatch):
    monkeypatch.setenv("GEXNB_DATA", "/mine")
    with _kernel_environment(GEXNB_DATA="/default"):
        assert os.environ["GEXNB_DATA"] == "/mine"
    assert os.environ["GEXNB_DATA"] == "/mine"
