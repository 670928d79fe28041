"""Shared fixtures: every test runs in a fresh framework home, and contract tests
run once per backend (orchestrator configuration)."""

from __future__ import annotations

import logging

import pytest

from framework import stacks

BACKENDS = {
    "local": {"orchestrator": "local", "orchestrator_options": {}},
    "local-threads": {"orchestrator": "local", "orchestrator_options": {"max_workers": 2}},
}


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """A fresh FRAMEWORK_HOME for each test."""
    path = tmp_path / "home"
    monkeypatch.setenv("FRAMEWORK_HOME", str(path))
    return path


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, monkeypatch, home):
    """Run the test once per backend: the active stack uses that orchestrator."""
    options = BACKENDS[request.param]

    def active_stack():
        base = stacks.default_stack()
        return stacks.Stack(base.name, base.home, base.artifact_store_url, base.metadata_root, **options)

    monkeypatch.setattr(stacks, "active_stack", active_stack)
    return request.param


@pytest.fixture
def run_log(caplog):
    """The framework logger's messages, one string per line."""
    caplog.set_level(logging.INFO, logger="framework")

    class Log:
        @property
        def lines(self):
            return [r.getMessage() for r in caplog.records if r.name == "framework"]

        def clear(self):
            caplog.clear()

    return Log()
