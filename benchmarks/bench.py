"""``neuroevo bench`` from a checkout: the suites live in :mod:`neuroevo.bench`.

    python benchmarks/bench.py --quick            # every suite, short
    python benchmarks/bench.py cmaes bbob         # full mode
"""

import sys

from neuroevo.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
