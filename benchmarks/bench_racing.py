"""Racing benchmark, the racing part of ``neuroevo bench throughput``: see :mod:`tracks.bench`.

    python benchmarks/bench_racing.py            # writes benchmarks/results/racing.json
    python benchmarks/bench_racing.py --quick
"""

from tracks.bench import main

if __name__ == "__main__":
    main()
