"""Python Docket (pydocket) throughput on the same machine: runs/s from enqueue to result
stored, with a trivial task, against the Redis URL given, and what each run costs redis-server
(CPU and commands, from INFO around the measurement, as bench/docket.sh reads them for
fastmcp). Used by bench/docket.sh when pydocket is installed; prints one line per
configuration."""
import asyncio
import sys
import time
from datetime import timedelta

import redis.asyncio
from docket import Docket, Worker


async def noop(i: int) -> int:
    return i


async def redis_usage(client) -> tuple[float, int]:
    """redis-server's CPU seconds (user + system) and commands executed so far."""
    cpu = await client.info("cpu")
    stats = await client.info("commandstats")
    calls = sum(v["calls"] for k, v in stats.items() if k.startswith("cmdstat_"))
    return cpu["used_cpu_user"] + cpu["used_cpu_sys"], calls


async def run(url: str, runs: int, label: str, **worker_options) -> None:
    name = f"pybench-{label}-{time.time_ns()}"
    client = redis.asyncio.from_url(url)
    cpu0, calls0 = await redis_usage(client)
    async with Docket(name=name, url=url) as docket:
        docket.register(noop)
        started = time.perf_counter()
        for i in range(runs):
            await docket.add(noop)(i)
        async with Worker(docket, **worker_options) as worker:
            await worker.run_until_finished()
        elapsed = time.perf_counter() - started
    cpu1, calls1 = await redis_usage(client)
    await client.aclose()
    # The two INFO commands of the second reading are not the runs' own.
    per_run_us = (cpu1 - cpu0) * 1e6 / runs
    per_run_commands = (calls1 - calls0 - 2) / runs
    print(
        f"pydocket {label:<9} {runs} runs: {runs / elapsed:.0f} runs/s, enqueue -> result stored; "
        f"redis-server per run: {per_run_us:.1f} us CPU, {per_run_commands:.1f} commands"
    )


async def main() -> None:
    url, runs = sys.argv[1], int(sys.argv[2])
    # The defaults process ~40 runs/s: a smaller batch keeps the bench short.
    await run(url, min(runs, 500), "defaults")
    await run(url, runs, "tuned", concurrency=50, minimum_check_interval=timedelta(milliseconds=1))


asyncio.run(main())
