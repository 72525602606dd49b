"""Python Docket (pydocket) throughput on the same machine: runs/s from enqueue to result
stored, with a trivial task, against the Redis URL given. Used by bench/docket.sh when pydocket
is installed; prints one line per configuration."""
import asyncio
import sys
import time
from datetime import timedelta

from docket import Docket, Worker


async def noop(i: int) -> int:
    return i


async def run(url: str, runs: int, label: str, **worker_options) -> None:
    name = f"pybench-{label}-{time.time_ns()}"
    async with Docket(name=name, url=url) as docket:
        docket.register(noop)
        started = time.perf_counter()
        for i in range(runs):
            await docket.add(noop)(i)
        async with Worker(docket, **worker_options) as worker:
            await worker.run_until_finished()
        elapsed = time.perf_counter() - started
    print(f"pydocket {label:<9} {runs} runs: {runs / elapsed:.0f} runs/s, enqueue -> result stored")


async def main() -> None:
    url, runs = sys.argv[1], int(sys.argv[2])
    # The defaults process ~40 runs/s: a smaller batch keeps the bench short.
    await run(url, min(runs, 500), "defaults")
    await run(url, runs, "tuned", concurrency=50, minimum_check_interval=timedelta(milliseconds=1))


asyncio.run(main())
