import pytest

pytest.importorskip("gymnasium", reason='the Gymnasium tests need the gym extra: pip install -e ".[gym]"')
