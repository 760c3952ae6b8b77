// Black-box: the Responses API through the official `openai` SDK, every response and every streamed
// event checked against OpenAI's OpenAPI schema (and the Open Responses one where it applies):
// a multi-turn function-calling round trip, a web_search + scrape chain, file_search with citations,
// code_interpreter, an MCP approval round trip against @modelcontextprotocol/server-everything (a
// server nobody here wrote), a cancelled background response, a depth-limit synthesis, conversations.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import OpenAI, { toFile } from 'openai';
import { checkResponse, checkEvent, checkAs } from '../lib/schemas.mjs';

const base = process.env.LOOPLINE_BASE_URL ?? 'http://127.0.0.1:8080';
const simUrl = process.env.LOOPLINE_SIM_URL;
const model = process.env.LOOPLINE_MODEL ?? 'loopline-sim';
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: process.env.LOOPLINE_API_KEY, maxRetries: 0, timeout: 60_000 });

/** responses.create, non-streamed, with the result checked against the schemas. */
async function create(body) {
  const r = await client.responses.create(body);
  checkResponse(r);
  return r;
}

/** responses.create streamed: every event checked, sequence numbers from 0 with no gap; returns the events. */
async function stream(body) {
  const events = [];
  for await (const e of await client.responses.create({ ...body, stream: true })) {
    checkEvent(e);
    assert.equal(e.sequence_number, events.length, `sequence_number of ${e.type}`);
    events.push(e);
  }
  return events;
}

async function script(spec) {
  assert.ok(simUrl, 'LOOPLINE_SIM_URL is set by ./loopline test');
  const res = await fetch(`${simUrl}/sim/scripts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });
  assert.equal(res.status, 200, await res.text());
}

// server-everything over Streamable HTTP on loopback (the e2e server allows 127.0.0.1 for remote MCP).
let everything;
let everythingUrl;
before(async () => {
  const entry = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
  const port = await new Promise((resolve) => {
    const probe = http.createServer().listen(0, '127.0.0.1', () => { const p = probe.address().port; probe.close(() => resolve(p)); });
  });
  everything = spawn(process.execPath, [entry, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve, reject) => {
    let log = '';
    everything.stderr.on('data', (d) => { log += d; if (/listening on port/.test(log)) resolve(); });
    everything.on('exit', (code) => reject(new Error(`server-everything exited ${code}: ${log}`)));
  });
  everythingUrl = `http://127.0.0.1:${port}/mcp`;
});
after(() => everything?.kill());

// A page for the scrape step of the web_search + scrape chain.
const page = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<html><head><title>Tides</title></head><body><nav>Home</nav><article><h1>Tides</h1>
    <p>Spring tides happen near new and full moon, when the Sun and the Moon pull along the same line.</p>
    <p>Neap tides come at the quarter moons, when their pulls are at right angles and partly cancel.</p></article></body></html>`);
});
await new Promise((r) => page.listen(0, '127.0.0.1', r));
after(() => page.close());

const weather = {
  type: 'function', name: 'get_weather', description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false,
};

test('function calling: the call ends the response, function_call_output continues it (stream and not)', async () => {
  const first = await create({ model, input: 'What is the weather in Oslo?', tools: [weather] });
  assert.equal(first.status, 'completed');
  const call = first.output.find((i) => i.type === 'function_call');
  assert.equal(call.name, 'get_weather');
  assert.equal(call.status, 'completed');
  assert.ok(JSON.parse(call.arguments).city);

  const events = await stream({
    model, previous_response_id: first.id, tools: [weather],
    input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Oslo: light snow, minus four degrees.' }],
  });
  const done = events.at(-1);
  assert.equal(done.type, 'response.completed');
  assert.match(done.response.output_text, /light snow, minus four degrees/);
  assert.equal(done.response.previous_response_id, first.id);
  const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
  assert.equal(text, done.response.output_text);
  const items = await client.responses.inputItems.list(done.response.id);
  assert.equal(items.data[0].type, 'function_call_output');
  const raw = await fetch(`${base}/v1/responses/${done.response.id}/input_items`, { headers: { Authorization: `Bearer ${process.env.LOOPLINE_API_KEY}` } });
  checkAs('ResponseItemList', await raw.json());
});

test('web_search then scrape (loopline\'s own tools as a remote MCP server) in one response', async () => {
  const url = `http://127.0.0.1:${page.address().port}/tides`;
  await script({
    name: 'e2e-chain', match: 'spring and neap tides',
    turns: [
      { tool_calls: [{ name: 'web_search', arguments: { query: 'spring and neap tides' } }] },
      { tool_calls: [{ name: 'scrape', arguments: { url } }] },
      { content: 'Spring tides come near new and full moon; neap tides at the quarter moons.' },
    ],
  });
  const events = await stream({
    model, input: 'Explain spring and neap tides, with a source.', include: ['web_search_call.action.sources'],
    tools: [{ type: 'web_search' },
      { type: 'mcp', server_label: 'loopline', server_url: `${base}/mcp`, allowed_tools: ['scrape'], require_approval: 'never' }],
  });
  const r = events.at(-1).response;
  assert.equal(r.status, 'completed', JSON.stringify(r));
  assert.deepEqual(r.output.map((i) => i.type), ['mcp_list_tools', 'web_search_call', 'mcp_call', 'message']);
  assert.deepEqual(r.output[0].tools.map((t) => t.name), ['scrape']);
  assert.ok(r.output[1].action.sources.length > 0);
  assert.equal(r.output[2].name, 'scrape');
  assert.match(r.output[2].output, /Neap tides come at the quarter moons/);
  assert.ok(events.some((e) => e.type === 'response.mcp_call.completed'));
  assert.ok(events.some((e) => e.type === 'response.mcp_list_tools.completed'));
  assert.ok(events.some((e) => e.type === 'response.web_search_call.completed'));
});

test('file_search over an uploaded file: results included and a file_citation on the answer', async () => {
  const text = 'The spare lighthouse lens is kept in the oil store behind the keeper\'s cottage, wrapped in felt.';
  const file = await client.files.create({ file: await toFile(Buffer.from(text), 'keeper.txt'), purpose: 'assistants' });
  const store = await client.vectorStores.create({ name: 'e2e-responses' });
  await client.vectorStores.files.createAndPoll(store.id, { file_id: file.id });
  const r = await create({
    model, input: 'Where is the spare lighthouse lens kept?', include: ['file_search_call.results'],
    tools: [{ type: 'file_search', vector_store_ids: [store.id], max_num_results: 3 }],
  });
  const call = r.output.find((i) => i.type === 'file_search_call');
  assert.equal(call.status, 'completed');
  assert.equal(call.results[0].file_id, file.id);
  const message = r.output.find((i) => i.type === 'message');
  assert.match(r.output_text, /oil store/);
  const citation = message.content[0].annotations.find((a) => a.type === 'file_citation');
  assert.equal(citation?.file_id, file.id);
  assert.equal(citation.filename, 'keeper.txt');
  await client.vectorStores.delete(store.id);
  await client.files.delete(file.id);
});

test('code_interpreter runs Python in the sandbox; its events stream in order', async () => {
  const events = await stream({
    model, input: 'Run this:\n```python\nprint(sum(range(1, 101)))\n```', include: ['code_interpreter_call.outputs'],
    tools: [{ type: 'code_interpreter', container: { type: 'auto' } }],
  });
  const r = events.at(-1).response;
  const call = r.output.find((i) => i.type === 'code_interpreter_call');
  assert.equal(call.status, 'completed');
  assert.equal(call.outputs[0].logs.trim(), '5050');
  assert.match(r.output_text, /5050/);
  const types = events.map((e) => e.type);
  assert.ok(types.indexOf('response.code_interpreter_call.in_progress') < types.indexOf('response.code_interpreter_call.completed'));
  const code = events.filter((e) => e.type === 'response.code_interpreter_call_code.delta').map((e) => e.delta).join('');
  assert.equal(code, call.code, 'the code streams as deltas that add up to it');
  assert.ok(types.lastIndexOf('response.code_interpreter_call_code.delta') < types.indexOf('response.code_interpreter_call_code.done'));
});

test('MCP approval round trip against @modelcontextprotocol/server-everything', async () => {
  const tools = [{ type: 'mcp', server_label: 'everything', server_url: everythingUrl, allowed_tools: ['echo'] }];
  const asked = await create({ model, input: 'Please echo this message back: tidepool', tools });
  assert.equal(asked.status, 'completed');
  const list = asked.output[0];
  assert.equal(list.type, 'mcp_list_tools');
  assert.deepEqual(list.tools.map((t) => t.name), ['echo']);
  const request = asked.output[1];
  assert.equal(request.type, 'mcp_approval_request', JSON.stringify(asked.output));
  assert.equal(request.name, 'echo');

  const events = await stream({
    model, previous_response_id: asked.id, tools,
    input: [{ type: 'mcp_approval_response', approval_request_id: request.id, approve: true }],
  });
  const r = events.at(-1).response;
  assert.equal(r.status, 'completed');
  const call = r.output.find((i) => i.type === 'mcp_call');
  assert.equal(call.approval_request_id, request.id);
  assert.equal(call.status, 'completed');
  assert.match(call.output, /^Echo: /);
  assert.ok(r.output_text.includes(call.output), r.output_text);
  assert.ok(!r.output.some((i) => i.type === 'mcp_list_tools'), 'the tool list is reused from the earlier response');
  assert.ok(!JSON.stringify(r.tools).includes('authorization'));
});

test('a background response is cancelled while its tool runs: the sandboxed process is killed', async () => {
  const sleepers = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u00009.3141\u0000'; } catch { return false; }
  }).length;
  const r = await client.responses.create({
    model, background: true, tools: [{ type: 'code_interpreter', container: { type: 'auto' } }],
    input: "Run this:\n```python\nimport subprocess\nsubprocess.run(['sleep','9.3141'])\nprint('woke')\n```",
  });
  checkResponse(r);
  assert.ok(['queued', 'in_progress'].includes(r.status));
  const started = Date.now();
  while (sleepers() === 0) {
    assert.ok(Date.now() - started < 8_000, 'the sandboxed process never started');
    await new Promise((s) => setTimeout(s, 50));
  }
  const cancelled = await client.responses.cancel(r.id);
  checkResponse(cancelled);
  assert.equal(cancelled.status, 'cancelled');
  const at = Date.now();
  while (sleepers() > 0) {
    assert.ok(Date.now() - at < 3_000, 'the sandboxed process survived the cancellation');
    await new Promise((s) => setTimeout(s, 50));
  }
  await new Promise((s) => setTimeout(s, 300));
  const again = await client.responses.retrieve(r.id);
  checkResponse(again);
  assert.equal(again.status, 'cancelled');
  assert.equal(again.output.length, 0);
});

test('a background streamed response: the SDK follows it, then resumes it after any event', async () => {
  const events = [];
  for await (const e of await client.responses.create({
    model, input: 'What is the capital of France?', tools: [{ type: 'web_search' }], background: true, stream: true,
  })) {
    checkEvent(e);
    events.push(e);
  }
  assert.equal(events[0].type, 'response.created');
  assert.equal(events[0].response.status, 'queued');
  assert.equal(events.at(-1).type, 'response.completed');
  events.forEach((e, i) => assert.equal(e.sequence_number, i));
  const id = events[0].response.id;
  const resumed = [];
  for await (const e of await client.responses.retrieve(id, { stream: true, starting_after: 4 })) {
    checkEvent(e);
    resumed.push(e);
  }
  assert.equal(resumed[0].sequence_number, 5);
  assert.deepEqual(resumed.map((e) => e.type), events.slice(5).map((e) => e.type));
  assert.match(resumed.at(-1).response.output_text, /Paris is the capital/);
});

test('the depth limit ends in a synthesis answer and says so', async () => {
  const search = { tool_calls: [{ name: 'web_search', arguments: { query: 'lighthouse history' } }] };
  await script({ name: 'e2e-deep', match: 'search forever', turns: [...Array(8).fill(search), { content: 'Synthesis from what was found.' }] });
  const r = await create({ model, input: 'Please search forever about lighthouses', tools: [{ type: 'web_search' }] });
  assert.equal(r.status, 'completed');
  assert.equal(r.output.filter((i) => i.type === 'web_search_call').length, 8);
  assert.equal(r.metadata.loopline_loop_stop, 'max_tool_execution_depth');
  assert.equal(r.output_text, 'Synthesis from what was found.');
});

test('conversations: create, respond inside, list items, delete', async () => {
  const conv = await client.conversations.create({ metadata: { topic: 'e2e' }, items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }] });
  checkAs('ConversationResource', conv);
  const r = await create({ model, conversation: conv.id, input: 'What did I say my name was?' });
  assert.equal(r.status, 'completed');
  const items = await client.conversations.items.list(conv.id, { order: 'asc' });
  const raw = await fetch(`${base}/v1/conversations/${conv.id}/items?order=asc`, { headers: { Authorization: `Bearer ${process.env.LOOPLINE_API_KEY}` } });
  checkAs('ConversationItemList', await raw.json());
  assert.equal(items.data.length, 3);
  assert.equal(items.data[2].type, 'message');
  const deleted = await client.conversations.delete(conv.id);
  assert.equal(deleted.deleted, true);
  await assert.rejects(client.conversations.retrieve(conv.id), (e) => e.status === 404);
});

test('bad input is a 400 naming the field', async () => {
  await assert.rejects(client.responses.create({ model, input: 'x', temperature: 'hot' }),
    (e) => e.status === 400 && e.param === 'temperature');
  await assert.rejects(client.responses.create({ model, input: 'x', tools: [{ type: 'mcp', server_label: '1bad', server_url: everythingUrl }] }),
    (e) => e.status === 400 && e.param === 'tools[0].server_label');
});
