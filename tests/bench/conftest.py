"""Fixtures of the benchmark tests: a tiny generated dataset, written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from luoshi.bench import generate


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench") / "tiny"
    generate.generate(scale="tiny", out=folder, seed=7)
    return folder
