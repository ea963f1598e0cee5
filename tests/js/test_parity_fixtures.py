"""The committed JS parity fixtures are what Python computes today (so the Node parity test checks current Python)."""

from parity_fixtures import FIXTURE, render


def test_committed_fixtures_match_python():
    assert FIXTURE.read_text() == render(), "regenerate with: python3 tests/js/parity_fixtures.py"
