// Run by ./loopline test against replicas behind nginx (round robin, no stickiness), on one
// PostgreSQL, Redis and OpenSearch, with file bytes in the database, all-in-one or split into
// services: a replica killed with -9 in the middle of work, and the work finishing on another.
//   LOOPLINE_BASE_URL: the balancer; LOOPLINE_RESPONSES_VICTIM: "url=pid" of a replica serving
//   /v1/responses; LOOPLINE_INGEST_VICTIM: "url=pid" of one serving /v1/files and /v1/vector_stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { toFile } from 'openai';

const base = process.env.LOOPLINE_BASE_URL;
const apiKey = process.env.LOOPLINE_API_KEY;
const replica = (spec) => {
  const [url, pid] = (spec ?? '').split('=');
  assert.ok(url && Number(pid) > 0, `a victim "url=pid", not ${spec}`);
  return { url, pid: Number(pid) };
};
const viaBalancer = new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 2, timeout: 60_000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, seconds) {
  const end = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < end) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) { last = e; }
    await sleep(250);
  }
  throw new Error(`${what} within ${seconds} s; last: ${JSON.stringify(last)}`);
}

test('a replica killed with -9 mid background response: another replica takes the response over and completes it', async () => {
  const victim = replica(process.env.LOOPLINE_RESPONSES_VICTIM);
  const direct = new OpenAI({ baseURL: `${victim.url}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
  // A long answer at the model's pace (the sim's per-token latency is set by the test command), on the victim.
  const r = await direct.responses.create({ model: 'loopline-sim', background: true, input: 'Tell me everything about lighthouses. '.repeat(5),
    max_output_tokens: 400 });
  await until('the response runs', async () => (await direct.responses.retrieve(r.id)).status === 'in_progress', 20);
  process.kill(victim.pid, 'SIGKILL');
  const done = await until('the response is completed by another replica', async () => {
    const now = await viaBalancer.responses.retrieve(r.id);
    return ['completed', 'incomplete', 'failed'].includes(now.status) ? now : null;
  }, 60);
  assert.ok(['completed', 'incomplete'].includes(done.status), JSON.stringify(done));
  assert.ok(done.output_text.length > 0);
});

test('a replica killed with -9 mid ingestion: another replica takes the file over and the store completes', async () => {
  const victim = replica(process.env.LOOPLINE_INGEST_VICTIM);
  const direct = new OpenAI({ baseURL: `${victim.url}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
  const text = Array.from({ length: 1500 }, (_, i) => `Paragraph ${i}: the keeper logs the weather, the ships and the lamp oil at hour ${i % 24}.`).join('\n\n');
  const file = await direct.files.create({ file: await toFile(Buffer.from(text), 'log.txt'), purpose: 'assistants' });
  const store = await direct.vectorStores.create({ name: 'crash', file_ids: [file.id] });
  process.kill(victim.pid, 'SIGKILL');
  const idle = await until('the store finishes ingesting on another replica', async () => {
    const s = await viaBalancer.vectorStores.retrieve(store.id);
    return s.file_counts.in_progress === 0 ? s : null;
  }, 90);
  assert.equal(idle.file_counts.completed, 1, JSON.stringify(idle));
  const hits = await viaBalancer.vectorStores.search(store.id, { query: 'lamp oil at hour 7' });
  assert.ok(hits.data.length > 0, 'searchable through any replica');
});
