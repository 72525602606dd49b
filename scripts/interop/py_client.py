"""The official Python SDK client against a fastmcp server: stdio (quickstart) or HTTP
(conformance fixture). Exits non-zero on any mismatch."""
import asyncio
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

try:
    from mcp.client.streamable_http import streamablehttp_client as http_client
except ImportError:  # newer SDKs
    from mcp.client.streamable_http import streamable_http_client as http_client


def field(obj, snake, camel):
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel)


async def exercise(session: ClientSession, mode: str) -> None:
    init = await session.initialize()
    assert field(init, "protocol_version", "protocolVersion") == "2025-11-25"
    if mode == "stdio":
        tools = [t.name for t in (await session.list_tools()).tools]
        assert tools == ["add", "stats"], tools
        r = await session.call_tool("add", {"a": 2, "b": 3})
        assert field(r, "structured_content", "structuredContent") == {"result": 5}
        r = await session.read_resource("greeting://Ada")
        assert r.contents[0].text == "Hello, Ada!"
        p = await session.get_prompt("review_code", {"code": "x"})
        assert "unknown code" in p.messages[0].content.text
    else:
        r = await session.call_tool("test_tool_with_logging", {})
        assert r.content[0].text == "Tool with logging executed successfully"
        r = await session.call_tool("test_error_handling", {})
        assert field(r, "is_error", "isError") is True
        prompts = [p.name for p in (await session.list_prompts()).prompts]
        assert "test_simple_prompt" in prompts
    print(f"python-sdk {mode}: ok")


async def main() -> None:
    mode, target = sys.argv[1], sys.argv[2]
    if mode == "stdio":
        async with stdio_client(StdioServerParameters(command=target)) as (r, w):
            async with ClientSession(r, w) as s:
                await exercise(s, mode)
    else:
        async with http_client(target) as streams:
            async with ClientSession(streams[0], streams[1]) as s:
                await exercise(s, mode)


asyncio.run(main())
