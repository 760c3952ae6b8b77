// Black-box: loopline's MCP server through clients nobody here wrote — the MCP TypeScript SDK
// client and the MCP Inspector CLI — listing and calling every tool.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI, { toFile } from 'openai';

const base = process.env.LOOPLINE_BASE_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.LOOPLINE_API_KEY;
const auth = { Authorization: `Bearer ${apiKey}` };
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

// A page to scrape, on loopback (the e2e server allows 127.0.0.1 for scraping; production does not).
const page = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<html lang="en"><head><title>Lighthouses</title><meta name="author" content="Kim Keeper"></head><body>
    <nav><a href="/">Home</a></nav><article><h1>Lighthouses</h1>
    <p>A lighthouse guides ships with a light of a known pattern, so that sailors can tell one coast from another at night.</p>
    <p>Fresnel lenses, invented in 1822, made the beams visible from more than twenty miles away, changing navigation for good.</p>
    </article><footer>Copyright Harbour Society</footer></body></html>`);
});
await new Promise((r) => page.listen(0, '127.0.0.1', r));
const pageUrl = `http://127.0.0.1:${page.address().port}/lighthouses`;
after(() => page.close());

async function connect() {
  const client = new Client({ name: 'loopline-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: auth } }));
  return client;
}

async function storeWith(name, text) {
  const file = await openai.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'assistants' });
  const store = await openai.vectorStores.create({ name });
  await openai.vectorStores.files.createAndPoll(store.id, { file_id: file.id });
  return store.id;
}

const json = (result) => JSON.parse(result.content[0].text);

test('TypeScript SDK: list tools and call each one, with progress', async () => {
  const client = await connect();
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ['file_search', 'python_exec', 'scrape', 'web_search']);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object');
    assert.equal(t.outputSchema.type, 'object');
    assert.equal(typeof t.annotations.readOnlyHint, 'boolean');
  }

  const search = await client.callTool({ name: 'web_search', arguments: { query: 'prefix caching', max_results: 2 } });
  assert.equal(search.isError, false);
  assert.ok(search.structuredContent.results.length > 0);

  const scraped = await client.callTool({ name: 'scrape', arguments: { url: pageUrl, format: 'markdown' } });
  assert.equal(scraped.isError, false, scraped.content[0].text);
  assert.equal(scraped.structuredContent.title, 'Lighthouses');
  assert.equal(scraped.structuredContent.byline, 'Kim Keeper');
  assert.match(scraped.structuredContent.content, /Fresnel lenses/);
  assert.doesNotMatch(scraped.structuredContent.content, /Copyright/);

  const metadata = await client.callTool({ name: 'scrape', arguments: { url: 'http://169.254.169.254/latest/meta-data/' } });
  assert.equal(metadata.isError, true);
  assert.match(metadata.content[0].text, /^Refused/);

  const a = await storeWith('keepers.txt', 'Lighthouse keepers trimmed the wicks and wound the clockwork every night.');
  const b = await storeWith('fog.txt', 'Foghorns sound when the beam cannot be seen through thick fog.');
  const progress = [];
  const found = await client.callTool(
    { name: 'file_search', arguments: { query: 'who looked after the lamp', vector_store_ids: [a, b] } },
    undefined,
    { onprogress: (p) => progress.push(p) },
  );
  assert.equal(found.isError, false, found.content[0].text);
  assert.match(found.structuredContent.results[0].text, /keepers/);
  assert.deepEqual(progress.map((p) => [p.progress, p.total]), [[1, 2], [2, 2]]);

  const py = await client.callTool({ name: 'python_exec', arguments: { code: 'import math\nprint(math.factorial(10))' } });
  assert.equal(py.isError, false, py.content[0].text);
  assert.equal(py.structuredContent.stdout, '3628800\n');
  assert.equal(py.structuredContent.exit_code, 0);
  await client.close();
});

// Behind a balancer the notifications/cancelled may reach another replica than the call: it is passed on (Redis).
test('TypeScript SDK: aborting a python_exec call cancels it and kills the sandboxed process', async () => {
  const client = await connect();
  const sleepers = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u000027.1828\u0000'; } catch { return false; }
  }).length;
  const abort = new AbortController();
  const call = client.callTool({ name: 'python_exec', arguments: { code: "import subprocess\nsubprocess.run(['sleep','27.1828'])", timeout_s: 40 } },
    undefined, { signal: abort.signal, timeout: 60_000 });
  const started = Date.now();
  while (sleepers() === 0) {
    assert.ok(Date.now() - started < 20_000, 'the sandboxed process never started');
    await new Promise((r) => setTimeout(r, 50));
  }
  abort.abort('user pressed stop');
  await assert.rejects(call);
  const cancelled = Date.now();
  while (sleepers() > 0) {
    assert.ok(Date.now() - cancelled < 5_000, 'the sandboxed process survived the cancellation');
    await new Promise((r) => setTimeout(r, 50));
  }
  await client.close();
});

test('MCP Inspector CLI: tools/list and tools/call of every tool', async () => {
  const cli = path.join(here, '..', 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');
  const inspect = async (...args) => {
    try {
      const { stdout } = await run(process.execPath, [cli, '--cli', `${base}/mcp`, '--transport', 'http',
        '--header', `Authorization: Bearer ${apiKey}`, ...args], { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 });
      return JSON.parse(stdout);
    } catch (e) {
      // The CLI exits non-zero when a tool returns isError: true; its result is still on stdout.
      if (e.stdout) return JSON.parse(e.stdout);
      throw e;
    }
  };
  const listed = await inspect('--method', 'tools/list');
  assert.deepEqual(listed.tools.map((t) => t.name).sort(), ['file_search', 'python_exec', 'scrape', 'web_search']);
  const calls = {
    web_search: ['query=lighthouse'],
    scrape: [`url=${pageUrl}`],
    python_exec: ['code=print(2**10)'],
    file_search: ['query=fog', 'vector_store_ids=["vs_missing"]'],
  };
  for (const [tool, args] of Object.entries(calls)) {
    const r = await inspect('--method', 'tools/call', '--tool-name', tool, '--tool-arg', ...args);
    assert.ok(Array.isArray(r.content) && r.content.length > 0, `${tool}: ${JSON.stringify(r)}`);
    if (tool === 'file_search') {
      assert.equal(r.isError, true); // an unknown store is a tool error, with the reason
      assert.match(r.content[0].text, /No such vector store/);
    } else {
      assert.equal(r.isError, false, `${tool}: ${r.content[0].text}`);
    }
  }
});
