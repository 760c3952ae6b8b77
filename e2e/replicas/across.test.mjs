// Run by ./loopline test against replicas behind nginx (all-in-one or split into services): work
// held by one replica, reached through another. The replicas share a Redis, which carries the word.
//   LOOPLINE_SANDBOX_REPLICAS: "urlA,urlB", two replicas serving /v1/sandbox; LOOPLINE_API_KEY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

const apiKey = process.env.LOOPLINE_API_KEY;
const [a, b] = (process.env.LOOPLINE_SANDBOX_REPLICAS ?? '').split(',');
const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sleepers = (marker) => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === `sleep\u0000${marker}\u0000`; } catch { return false; }
}).length;

test('a sandbox run cancelled by run_id on another replica is killed where it runs; a cancel before the run refuses it anywhere', async () => {
  assert.ok(a && b && a !== b, 'two sandbox replicas');
  const marker = `23.${Date.now() % 100000}`;
  const runId = `across-${Date.now()}`;
  const run = fetch(`${a}/v1/sandbox/run`, { method: 'POST', headers,
    body: JSON.stringify({ run_id: runId, code: `import subprocess\nsubprocess.run(['sleep','${marker}'])`, run_timeout: 50 }) })
    .then((r) => r.json());
  const started = Date.now();
  while (sleepers(marker) === 0) {
    assert.ok(Date.now() - started < 20_000, 'the sandboxed process never started');
    await sleep(50);
  }
  const cancel = await fetch(`${b}/v1/sandbox/runs/${runId}/cancel`, { method: 'POST', headers, body: '{}' });
  assert.equal(cancel.status, 200);
  assert.equal((await cancel.json()).was_running, true, 'the other replica learnt that it ran');
  const result = await run;
  assert.equal(result.status, 'Failed', JSON.stringify(result));
  assert.match(result.message, /cancelled/);
  const cancelled = Date.now();
  while (sleepers(marker) > 0) {
    assert.ok(Date.now() - cancelled < 5_000, 'the sandboxed process survived the cancellation');
    await sleep(50);
  }

  const early = `${runId}-early`;
  const before = await (await fetch(`${b}/v1/sandbox/runs/${early}/cancel`, { method: 'POST', headers, body: '{}' })).json();
  assert.equal(before.was_running, false);
  const refused = await (await fetch(`${a}/v1/sandbox/run`, { method: 'POST', headers,
    body: JSON.stringify({ run_id: early, code: 'print(1)' }) })).json();
  assert.equal(refused.message, 'the run was cancelled before it started', JSON.stringify(refused));
});
