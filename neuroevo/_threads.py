"""Work shared by the calling thread and a pool of helper threads, for kernels that release the GIL.

The forward pass (:mod:`neuroevo.network.forward`) and the racing simulator (:mod:`tracks.sim`)
split their work into items (blocks of genomes) that take unequal time. :func:`in_turn` hands the
items out one at a time, to the calling thread and ``threads - 1`` pool workers, so nobody waits
idle while items are left, and the call returns when every item is done. Which thread runs an
item never changes what it computes: the kernels write disjoint rows of their outputs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def shared_pool(workers: int) -> ThreadPoolExecutor:
    """One executor per worker count for the whole process, created on first use."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="neuroevo")
        return pool


def in_turn(items: Iterable, threads: int, consume: Callable[[Iterator], None]) -> None:
    """Run ``consume(iterator)`` on the calling thread and on ``threads - 1`` pool workers at once,
    every iterator drawing the next item from ``items`` (each item goes to exactly one of them).

    Errors raised by any of them are raised here, once all have stopped.
    """
    if threads <= 1:
        consume(iter(items))
        return
    todo = iter(items)
    lock = threading.Lock()

    def shared() -> Iterator:
        while True:
            with lock:
                item = next(todo, None)
            if item is None:
                return
            yield item

    helpers = [shared_pool(threads - 1).submit(consume, shared()) for _ in range(threads - 1)]
    try:
        consume(shared())
    finally:
        for f in helpers:
            f.result()
