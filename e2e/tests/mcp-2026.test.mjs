// Black-box: MCP 2026-07-28 (stateless) both ways, with the official v2 TypeScript SDK
// (@modelcontextprotocol/client and /server 2.4.0, which implement that revision):
// - the v2 client against loopline's /mcp, negotiating 2026-07-28 (and 2025-11-25 when asked);
// - loopline's Responses API as the client of remote MCP servers built with the v2 server SDK: one
//   that speaks 2026-07-28 (and checks x-mcp-header parameters arrive as Mcp-Param-* headers), and
//   a session-era one (the SDK's 2025 fallback alone), which loopline must find out and serve.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI from 'openai';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler, legacyStatelessFallback } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { checkResponse } from '../lib/schemas.mjs';

const base = process.env.LOOPLINE_BASE_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.LOOPLINE_API_KEY;
const model = process.env.LOOPLINE_MODEL ?? 'loopline-sim';
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });

/** What the remote servers were sent: method, protocol version header, Mcp-Param-Region. */
const seen = [];

function factory() {
  const s = new McpServer({ name: 'sdk2-remote', version: '2.4.0' });
  s.registerTool('route', {
    description: 'Route a question to the office of a region',
    inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }), question: z.string() }),
  }, async ({ region, question }) => ({ content: [{ type: 'text', text: `The ${region} office answers: ${question}` }] }));
  return s;
}

/** A node:http server in front of a fetch-shaped MCP handler. */
async function serve(handler) {
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    let method = '';
    try { method = JSON.parse(body.toString()).method ?? ''; } catch { /* not JSON */ }
    seen.push({ port: server.address().port, method, version: req.headers['mcp-protocol-version'], region: req.headers['mcp-param-region'] });
    const r = await handler(new Request(`http://127.0.0.1${req.url}`, {
      method: req.method, headers: req.headers, body: ['GET', 'HEAD', 'DELETE'].includes(req.method) ? undefined : body,
    }));
    res.writeHead(r.status, Object.fromEntries(r.headers));
    if (r.body) for await (const c of r.body) res.write(c);
    res.end();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return server;
}

let modern;
let legacy;
before(async () => {
  modern = await serve(createMcpHandler(factory).fetch);
  legacy = await serve(legacyStatelessFallback(factory));
});
after(() => { modern?.close(); legacy?.close(); });

const urlOf = (s) => `http://127.0.0.1:${s.address().port}/mcp`;
const headers = { Authorization: `Bearer ${apiKey}` };

test('the v2 TypeScript client negotiates 2026-07-28 with loopline and calls its tools; asked for 2025, it gets a session', async () => {
  const client = new Client({ name: 'e2e-v2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }));
  assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
  assert.equal(client.getServerVersion().name, 'loopline-mcp-tools');
  const first = (await client.listTools()).tools.map((t) => t.name);
  assert.deepEqual((await client.listTools()).tools.map((t) => t.name), first, 'the same order every time');
  const r = await client.callTool({ name: 'web_search', arguments: { query: 'capital of France', max_results: 1 } });
  assert.equal(r.structuredContent.results[0].title, 'Paris, capital of France');
  await client.close();

  const old = new Client({ name: 'e2e-v2-legacy', version: '1' });
  await old.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }));
  assert.equal(old.getNegotiatedProtocolVersion(), '2025-11-25');
  assert.ok((await old.callTool({ name: 'web_search', arguments: { query: 'capital of France' } })).structuredContent.results.length > 0);
  await old.close();
});

for (const [era, server, version] of [['2026-07-28', () => modern, '2026-07-28'], ['2025 session-era', () => legacy, '2025-11-25']]) {
  test(`the Responses API calls a remote ${era} server built with the v2 server SDK`, async () => {
    const port = server().address().port;
    const response = await openai.responses.create({
      model,
      input: 'Ask the office in Oslo about the ferry timetable',
      tools: [{ type: 'mcp', server_label: 'offices', server_url: urlOf(server()), require_approval: 'never' }],
    });
    checkResponse(response);
    assert.equal(response.status, 'completed');
    const list = response.output.find((i) => i.type === 'mcp_list_tools');
    assert.deepEqual(list.tools.map((t) => t.name), ['route'], JSON.stringify(list));
    const call = response.output.find((i) => i.type === 'mcp_call');
    assert.ok(call && !call.error, JSON.stringify(response.output));
    assert.match(call.output, /office answers/);
    const calls = seen.filter((s) => s.port === port && s.method === 'tools/call');
    assert.ok(calls.length > 0);
    assert.equal(calls.at(-1).version, version, `loopline spoke ${version} to the ${era} server`);
    if (version === '2026-07-28') {
      assert.equal(calls.at(-1).region, JSON.parse(call.arguments).region, 'the x-mcp-header parameter went as Mcp-Param-Region');
      assert.ok(!seen.some((s) => s.port === port && s.method === 'initialize'), 'no handshake with a stateless server');
    } else {
      assert.ok(seen.some((s) => s.port === port && s.method === 'initialize'), 'a session-era server gets initialize');
    }
  });
}
