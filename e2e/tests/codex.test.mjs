// Black-box: Codex CLI (@openai/codex, pinned in package.json) as today's agent teams run it against
// their own model server: `codex exec` with a custom model provider pointing at loopline, over
// HTTP and over the Responses WebSocket transport. Codex sends its function tools, a `namespace`
// of sub-agent tools, a hosted `web_search`, `reasoning: {summary: "auto"}`, `store: false` and
// `include: ["reasoning.encrypted_content"]`; the model (vllm-sim as a reasoning model, scripted)
// calls Codex's `exec_command`, Codex runs it and sends the output back, the model answers from it;
// a second turn (`codex exec resume`) hands the sealed reasoning back.
//
// This suite starts its own loopline (the jar the harness built) with vllm-sim's reasoning parser on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const jar = process.env.LOOPLINE_JAR;
const java = process.env.LOOPLINE_JAVA ?? 'java';
const codexBin = path.join(path.dirname(createRequire(import.meta.url).resolve('@openai/codex/package.json')), 'bin', 'codex.js');

function freePort() {
  return new Promise((resolve) => {
    const probe = http.createServer().listen(0, '127.0.0.1', () => { const p = probe.address().port; probe.close(() => resolve(p)); });
  });
}

let server;
let base;
let simUrl;
let key;
let dataDir;

before(async () => {
  assert.ok(jar, 'LOOPLINE_JAR is set by ./loopline test');
  const port = await freePort();
  const sim = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopline-codex-'));
  key = `ll-codex-${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}`;
  server = spawn(java, ['-jar', jar], {
    env: { ...process.env, LOOPLINE_PORT: String(port), LOOPLINE_SIM_PORT: String(sim), LOOPLINE_DATA_DIR: dataDir,
      LOOPLINE_DEV_API_KEY: key, LOOPLINE_SIM_INSTANT: 'true', LOOPLINE_SIM_REASONING_PARSER: 'qwen3', LOOPLINE_SANDBOX: 'off' },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  base = `http://127.0.0.1:${port}`;
  simUrl = `http://127.0.0.1:${sim}`;
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the Codex suite\'s loopline did not become ready');
});

after(() => {
  server?.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function script(spec) {
  const res = await fetch(`${simUrl}/sim/scripts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });
  assert.equal(res.status, 200, await res.text());
}

/** A Codex home whose config points the model provider at loopline; WebSocket first when asked. */
function codexHome(websockets) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-home-'));
  fs.writeFileSync(path.join(home, 'config.toml'), [
    'model = "loopline-sim"',
    'model_provider = "loopline"',
    '[model_providers.loopline]',
    'name = "loopline"',
    `base_url = "${base}/v1"`,
    'env_key = "LOOPLINE_KEY"',
    'wire_api = "responses"',
    `supports_websockets = ${websockets}`,
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ].join('\n'));
  return home;
}

/** Runs `codex exec` (args after `exec`) in `cwd`, stdin closed (else it waits for more prompt); resolves with its exit code and output. */
function codex(home, cwd, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [codexBin, 'exec', '--skip-git-repo-check', '-s', 'danger-full-access', ...args],
      { cwd, env: { ...process.env, CODEX_HOME: home, LOOPLINE_KEY: key, RUST_LOG: 'codex_api=info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

/** A working directory holding one file the model's command will list. */
function workspace(marker) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-work-'));
  fs.writeFileSync(path.join(dir, marker), 'x');
  return dir;
}

// Scripts are matched by text in the first user message, which for Codex is its environment context:
// each test's own working directory (in <cwd>) picks its script.
for (const websockets of [false, true]) {
  const transport = websockets ? 'WebSocket' : 'HTTP';
  test(`codex exec over ${transport}: the model calls exec_command, Codex runs it, the model answers from its output`, async () => {
    const marker = `marker-${transport.toLowerCase()}-${Date.now()}.txt`;
    const dir = workspace(marker);
    // Turn 0: reasoning, then Codex's own exec_command; turn 1 (after the tool output): the simulator's
    // rule, an answer quoting the tool result; turn 2 is the second session turn.
    await script({ name: `codex-${transport}`, match: path.basename(dir), turns: [
      { reasoning: 'The user wants the files listed; exec_command runs ls.', tool_calls: [{ name: 'exec_command', arguments: { cmd: 'ls' } }] },
      { rules: true },
      { reasoning: 'A second look.', content: `Second turn over ${transport}: done.` }] });
    const home = codexHome(websockets);
    const run = await codex(home, dir, ['list the files here']);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /exec_command runs ls/, 'Codex shows the reasoning summary');
    assert.match(run.out, new RegExp(`According to the tool results:[^\n]*${marker}`), `the answer quotes the command's output:\n${run.out}`);
    if (websockets) {
      assert.match(run.out, /successfully connected to Responses WebSocket/, run.out);
      assert.doesNotMatch(run.out, /Falling back from WebSockets/, run.out);
    }
    // A second turn of the same session: Codex sends the whole context again (store: false), the
    // reasoning items with only their sealed content; loopline must open them.
    const again = await codex(home, dir, ['resume', '--last', 'and once more']);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, new RegExp(`Second turn over ${transport}: done\\.`), again.out);
  });
}

test('codex exec: the hosted web_search Codex offers runs on loopline', async () => {
  const dir = workspace('unused.txt');
  await script({ name: 'codex-web', match: path.basename(dir), turns: [
    { tool_calls: [{ name: 'web_search', arguments: { query: 'capital of France' } }] }, { rules: true }] });
  const run = await codex(codexHome(false), dir, ['search the web for the capital of France']);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /Paris/, run.out);
});
