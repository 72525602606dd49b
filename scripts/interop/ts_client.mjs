// The official TypeScript SDK client against a fastmcp server: stdio (quickstart) or HTTP
// (conformance fixture). Exits non-zero on any mismatch.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, target] = process.argv.slice(2);
const warnings = [];
console.warn = (...args) => warnings.push(args.join(" "));
const client = new Client({ name: "ts-interop", version: "0" }, { capabilities: {} });
const transport = mode === "stdio" ? new StdioClientTransport({ command: target }) : new StreamableHTTPClientTransport(new URL(target));
await client.connect(transport);

if (mode === "stdio") {
  assert.equal(client.getServerVersion().name, "quickstart");
  const tools = (await client.listTools()).tools.map((t) => t.name);
  assert.deepEqual(tools, ["add", "stats"]);
  // The SDK validates structuredContent against the cached outputSchema.
  const sum = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
  assert.deepEqual(sum.structuredContent, { result: 5 });
  const stats = await client.callTool({ name: "stats", arguments: { values: [1, 2, 6] } });
  assert.deepEqual(stats.structuredContent, { count: 3, mean: 3 });
  const bad = await client.callTool({ name: "add", arguments: { a: "x", b: 1 } });
  assert.equal(bad.isError, true);
  const greeting = await client.readResource({ uri: "greeting://Ferris" });
  assert.equal(greeting.contents[0].text, "Hello, Ferris!");
  const prompt = await client.getPrompt({ name: "review_code", arguments: { code: "x", language: "rust" } });
  assert.match(prompt.messages[0].content.text, /rust code/);
  const done = await client.complete({ ref: { type: "ref/prompt", name: "review_code" }, argument: { name: "language", value: "ru" } });
  assert.deepEqual(done.completion.values, ["rust"]);
} else {
  const progress = [];
  const r = await client.callTool({ name: "test_tool_with_progress", arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
  assert.equal(r.content[0].text, "Progress tool completed");
  assert.deepEqual(progress, [0, 50, 100]);
  const image = await client.callTool({ name: "test_image_content", arguments: {} });
  assert.equal(image.content[0].mimeType, "image/png");
  const tpl = await client.readResource({ uri: "test://template/42/data" });
  assert.equal(JSON.parse(tpl.contents[0].text).id, "42");
}
assert.deepEqual(warnings, [], "the SDK warned");
await client.close();
console.log(`ts-sdk ${mode}: ok`);
