"""Fixtures for the core tests (no ComfyUI needed); data builders live in core_builders.py."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
