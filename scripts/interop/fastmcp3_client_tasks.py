"""FastMCP's Python client (3.x, SEP-1686 tasks over 2025-11-25) against the tasks fixture:
tool, prompt and resource tasks, status notifications, elicitation from inside a task,
a failing task, tasks/list and tasks/cancel. The same flow runs with FastMCP 2.14's client
(its SEP-1686 draft reads each answer as the method's own result, with the task id in
`_meta["modelcontextprotocol.io/task"]`); LABEL names the client in the output.

    python fastmcp3_client_tasks.py URL [LABEL]
"""
import asyncio
import sys

from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult


async def answer(message, response_type, params, context):
    # confirm_delete asks {"confirm": bool}
    return ElicitResult(action="accept", content={"confirm": True})


async def main(url: str, label: str) -> None:
    async with Client(url, elicitation_handler=answer) as client:
        tools = {t.name: t for t in await client.list_tools()}
        assert tools["slow_add"].execution.taskSupport == "optional", tools["slow_add"]
        assert tools["progress_job"].execution.taskSupport == "required"

        # A tool task, its status notifications and its result.
        statuses = []
        task = await client.call_tool("slow_add", {"a": 2, "b": 3, "delay_ms": 300}, task=True)
        task.on_status_change(lambda s: statuses.append(s.status))
        assert not task.returned_immediately, "the server ran the task inline"
        first = await task.status()
        assert first.status in ("working", "completed"), first
        result = await task.result()
        assert result.data == 5, result
        await task.wait(state="completed", timeout=10)

        # A task-required tool with progress.
        job = await client.call_tool("progress_job", {"steps": 3, "step_ms": 30}, task=True)
        done = await job.result()
        assert done.content[0].text == "done 3 steps", done

        # Elicitation from inside a task (input_required, answered, completed).
        confirm = await client.call_tool("confirm_delete", {"filename": "notes.txt"}, task=True)
        confirmed = await confirm.result()
        assert confirmed.content[0].text == "deleted notes.txt", confirmed

        # A failing task: its result is the error.
        failing = await client.call_tool("failing_job", {"message": "boom"}, task=True)
        try:
            outcome = await failing.result()
            assert outcome.is_error and "boom" in str(outcome.content), outcome
        except Exception as e:  # the client raises ToolError for isError results
            assert "boom" in str(e), e
        assert (await failing.status()).status == "failed"

        # Prompt and resource tasks.
        prompt = await client.get_prompt("task_prompt", {"topic": "otters"}, task=True)
        got = await prompt.result()
        assert "otters" in got.messages[0].content.text, got
        resource = await client.read_resource("tasks://echo/hello", task=True)
        contents = await resource.result()
        assert contents[0].text == "hello", contents

        # tasks/list shows ours; tasks/cancel cancels a working task.
        listed = await client.list_tasks()
        ids = {t["taskId"] if isinstance(t, dict) else t.taskId for t in listed["tasks"]}
        assert task.task_id in ids, listed
        slow = await client.call_tool("slow_add", {"a": 1, "b": 1, "delay_ms": 5000}, task=True)
        await slow.cancel()
        assert (await slow.status()).status == "cancelled"

    print(f"{label} client tasks: ok (status notifications seen: {statuses})")


asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "fastmcp 3 (2025-11-25)"))
