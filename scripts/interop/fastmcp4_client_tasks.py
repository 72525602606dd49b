"""FastMCP's Python client (4.x with fastmcp-tasks: revision 2026-07-28, the SEP-2663 tasks
extension) against the tasks fixture: transparent task calls, explicit `call_tool_task` handles,
elicitation answered through tasks/update, a failing task, cancellation.

    python fastmcp4_client_tasks.py URL
"""
import asyncio
import sys

import fastmcp_tasks  # noqa: F401  (importing it turns client task support on)
from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult
from fastmcp.exceptions import ToolError
from fastmcp_tasks import call_tool_task


async def answer(message, response_type, params, context):
    return ElicitResult(action="accept", content={"confirm": True})


async def main(url: str) -> None:
    async with Client(url, elicitation_handler=answer) as client:
        # Transparent: the client polls a tasked call to completion by itself.
        plain = await client.call_tool("slow_add", {"a": 20, "b": 22, "delay_ms": 400})
        assert plain.data == 42, plain

        # An explicit handle: status, then the result.
        task = await call_tool_task(client, "slow_add", {"a": 2, "b": 3, "delay_ms": 400})
        first = await task.status()
        assert first.status in ("working", "completed"), first
        result = await task.result()
        assert result.data == 5, result

        # A task-required tool.
        job = await call_tool_task(client, "progress_job", {"steps": 3, "step_ms": 30})
        done = await job.result()
        assert done.content[0].text == "done 3 steps", done

        # Elicitation from inside the task, answered through tasks/update.
        confirm = await call_tool_task(client, "confirm_delete", {"filename": "notes.txt"})
        confirmed = await confirm.result()
        assert confirmed.content[0].text == "deleted notes.txt", confirmed

        # A failing task.
        failing = await call_tool_task(client, "failing_job", {"message": "boom"})
        try:
            await failing.result()
            raise AssertionError("a failing task returned a result")
        except ToolError as e:
            assert "boom" in str(e), e
        # SEP-2663: a tool error completes the task (isError); `failed` is for JSON-RPC errors.
        assert (await failing.status()).status == "completed"

        # Cancellation.
        slow = await call_tool_task(client, "slow_add", {"a": 1, "b": 1, "delay_ms": 5000})
        await slow.cancel()
        final = await slow.wait(timeout=10)
        assert final.status == "cancelled", final

    print("fastmcp 4 client tasks (2026-07-28): ok")


asyncio.run(main(sys.argv[1]))
