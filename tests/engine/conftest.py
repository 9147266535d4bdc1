import pytest
from helpers import write_slow_sim


@pytest.fixture
def slow_sim(tmp_path) -> str:
    """TASK string of a slow user simulator in its own file (``tmp_path/sims/slow_sim.py:Slow``)."""
    return write_slow_sim(tmp_path / "sims")
