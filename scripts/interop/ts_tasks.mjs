// The official TypeScript SDK client's experimental tasks API (client.experimental.tasks)
// against the fastmcp tasks fixture over Streamable HTTP. Exits non-zero on any mismatch.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const [url] = process.argv.slice(2);
const client = new Client({ name: "ts-tasks-interop", version: "0" }, { capabilities: { elicitation: {} } });
const elicited = [];
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  elicited.push(request.params);
  return { action: "accept", content: { confirm: true } };
});
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
assert.ok(client.getServerCapabilities().tasks?.requests?.tools?.call, "tasks capability");
const tools = (await client.listTools()).tools;
assert.equal(tools.find((t) => t.name === "progress_job").execution.taskSupport, "required");

// Collects a callToolStream run: the messages' types, the task id, and the final result.
async function run(name, args, options = {}) {
  const seen = [];
  let taskId;
  let result;
  let error;
  for await (const message of client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, options)) {
    seen.push(message.type);
    if (message.type === "taskCreated") taskId = message.task.taskId;
    if (message.type === "taskStatus") assert.equal(message.task.taskId, taskId);
    if (message.type === "result") result = message.result;
    if (message.type === "error") error = message.error;
  }
  return { seen, taskId, result, error };
}

// A required-task tool with progress, to completion.
const progress = [];
const job = await run("progress_job", { steps: 3, step_ms: 100 }, { onprogress: (p) => progress.push(p.progress) });
assert.equal(job.seen[0], "taskCreated", JSON.stringify(job.seen));
assert.equal(job.seen.at(-1), "result", JSON.stringify(job));
assert.equal(job.result.content[0].text, "done 3 steps");
// Progress of the task reaches the request's onprogress (sent with the original token).
assert.ok(progress.length > 0 && progress.every((p, i) => i === 0 || p > progress[i - 1]), JSON.stringify(progress));
const status = await client.experimental.tasks.getTask(job.taskId);
assert.equal(status.status, "completed");
assert.equal(typeof status.createdAt, "string");

// An optional-task tool, explicitly as a task; then the result again through getTaskResult.
const add = await run("slow_add", { a: 40, b: 2, delay_ms: 100 }, { task: { ttl: 60000 } });
assert.deepEqual(add.result.structuredContent, { result: 42 });
const again = await client.experimental.tasks.getTaskResult(add.taskId, CallToolResultSchema);
assert.deepEqual(again.structuredContent, { result: 42 });
assert.equal(again._meta["io.modelcontextprotocol/related-task"].taskId, add.taskId);

// A failing task ends in an error message.
const failing = await run("failing_job", { message: "nope" }, { task: {} });
assert.ok(failing.error || failing.result?.isError, JSON.stringify(failing));

// Elicitation from inside a task (input_required).
const confirm = await run("confirm_delete", { filename: "/tmp/ts" }, { task: {} });
assert.equal(confirm.result?.content[0].text, "deleted /tmp/ts", JSON.stringify(confirm));
assert.equal(elicited.length, 1);
assert.equal(elicited[0]._meta["io.modelcontextprotocol/related-task"].taskId, confirm.taskId);

// List and cancel.
const listed = (await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId);
for (const id of [job.taskId, add.taskId, confirm.taskId]) assert.ok(listed.includes(id), `${id} listed`);
const created = await client.request(
  { method: "tools/call", params: { name: "slow_add", arguments: { a: 1, b: 1, delay_ms: 5000 }, task: {} } },
  (await import("@modelcontextprotocol/sdk/types.js")).CreateTaskResultSchema,
);
const cancelled = await client.experimental.tasks.cancelTask(created.task.taskId);
assert.equal(cancelled.status, "cancelled");
await assert.rejects(client.experimental.tasks.cancelTask(created.task.taskId), /terminal/);

await client.close();
console.log("typescript sdk tasks: ok");
