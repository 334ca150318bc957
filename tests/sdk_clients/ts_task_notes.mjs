// The official TypeScript SDK client (a 2025-11-25 session over Streamable HTTP, its standalone
// GET stream open) declaring the tasks extension: starts a task and collects the
// `notifications/tasks` that reach it, until one says the task ended.
//
// Usage: NODE_MODULES=DIR node ts_task_notes.mjs MCP_URL TOOL ARGS_JSON
// Prints "connected" once the session is open and waits for a line on stdin (the caller's word
// that the GET stream is up), then one JSON line: {"created": <the CreateTaskResult>,
// "heard": [<params>, ...]}.
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const sdk = (file) => import(pathToFileURL(
  path.join(process.env.NODE_MODULES, '@modelcontextprotocol', 'sdk', 'dist', 'esm', file),
).href);
const { Client } = await sdk('client/index.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');
const { CallToolResultSchema } = await sdk('types.js');

const [mcpUrl, tool, args] = process.argv.slice(2);
const ENDED = new Set(['completed', 'failed', 'cancelled']);

const client = new Client(
  { name: 'ts-task-notes', version: '1.0.0' },
  { capabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } },
);
const heard = [];
let ended;
const done = new Promise((resolve) => { ended = resolve; });
client.fallbackNotificationHandler = async (notification) => {
  if (notification.method !== 'notifications/tasks') return;
  heard.push(notification.params);
  if (ENDED.has(notification.params.status)) ended();
};
const transport = new StreamableHTTPClientTransport(new URL(mcpUrl));
await client.connect(transport);
process.stdout.write('connected\n');
const stdin = createInterface({ input: process.stdin });
await stdin[Symbol.asyncIterator]().next();
stdin.close();
const created = await client.request(
  { method: 'tools/call', params: { name: tool, arguments: JSON.parse(args) } },
  CallToolResultSchema.passthrough(),
);
const timer = setTimeout(() => ended(), 20000); // a missing notification fails, not hangs
await done;
clearTimeout(timer);
process.stdout.write(`${JSON.stringify({ created, heard })}\n`);
await client.close();
process.exit(0);
