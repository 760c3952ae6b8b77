// Black-box: Files and Vector Stores through the official `openai` npm SDK, against the running jar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { toFile } from 'openai';

const baseURL = `${process.env.LOOPLINE_BASE_URL ?? 'http://127.0.0.1:8080'}/v1`;
const client = new OpenAI({ baseURL, apiKey: process.env.LOOPLINE_API_KEY, maxRetries: 0, timeout: 60_000 });

const docs = {
  'volcano.md': '# Volcanoes\n\nMagma rises through the crust and erupts as lava. Shield volcanoes like Mauna Loa are built by runny basalt.',
  'bread.txt': 'Sourdough bread rises because wild yeast and lactic acid bacteria ferment the dough; the starter is fed daily.',
  'tax.html': '<html><body><nav>Menu</nav><p>Estimated tax payments are due each quarter for the self-employed.</p></body></html>',
};

test('files.create, vectorStores.create with file batches, polling, search with filters, and cleanup', async () => {
  const uploaded = [];
  for (const [name, text] of Object.entries(docs)) {
    const file = await client.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'assistants' });
    assert.match(file.id, /^file-/);
    assert.equal(file.filename, name);
    assert.equal(file.bytes, Buffer.byteLength(text));
    uploaded.push(file);
  }
  const listed = await client.files.list({ purpose: 'assistants' });
  for (const f of uploaded) assert.ok(listed.data.some((x) => x.id === f.id));
  const content = await (await client.files.content(uploaded[1].id)).text();
  assert.equal(content, docs['bread.txt']);

  const store = await client.vectorStores.create({ name: 'e2e', metadata: { suite: 'sdk' } });
  assert.match(store.id, /^vs_/);
  const batch = await client.vectorStores.fileBatches.createAndPoll(store.id, {
    files: uploaded.map((f, i) => ({ file_id: f.id, attributes: { rank: i, kind: i === 0 ? 'science' : 'life' } })),
  });
  assert.equal(batch.status, 'completed');
  assert.equal(batch.file_counts.completed, 3);

  const files = await client.vectorStores.files.list(store.id, { filter: 'completed' });
  assert.equal(files.data.length, 3);
  const one = await client.vectorStores.files.retrieve(uploaded[0].id, { vector_store_id: store.id });
  assert.equal(one.status, 'completed');
  assert.equal(one.attributes.kind, 'science');

  const page = await client.vectorStores.search(store.id, { query: 'how does lava come out of a mountain', max_num_results: 2 });
  assert.equal(page.data[0].file_id, uploaded[0].id);
  assert.equal(page.data[0].filename, 'volcano.md');
  assert.ok(page.data[0].score > 0 && page.data[0].score <= 1);
  assert.match(page.data[0].content[0].text, /Magma/);

  const filtered = await client.vectorStores.search(store.id, {
    query: 'lava',
    filters: { type: 'and', filters: [{ type: 'eq', key: 'kind', value: 'life' }, { type: 'gte', key: 'rank', value: 2 }] },
  });
  assert.deepEqual(filtered.data.map((d) => d.file_id), [uploaded[2].id]);
  assert.doesNotMatch(filtered.data[0].content[0].text, /Menu/);

  const updated = await client.vectorStores.files.update(uploaded[2].id, { vector_store_id: store.id, attributes: { kind: 'money' } });
  assert.equal(updated.attributes.kind, 'money');

  const retrieved = await client.vectorStores.retrieve(store.id);
  assert.equal(retrieved.file_counts.total, 3);
  assert.equal(retrieved.status, 'completed');
  const renamed = await client.vectorStores.update(store.id, { name: 'e2e-renamed' });
  assert.equal(renamed.name, 'e2e-renamed');

  const removed = await client.vectorStores.files.delete(uploaded[1].id, { vector_store_id: store.id });
  assert.equal(removed.deleted, true);
  const deleted = await client.vectorStores.delete(store.id);
  assert.equal(deleted.deleted, true);
  for (const f of uploaded) assert.equal((await client.files.delete(f.id)).deleted, true);
});

test('bad uploads and unknown ids come back as SDK errors with the right status', async () => {
  await assert.rejects(client.files.create({ file: await toFile(Buffer.from('x'), 'a.txt'), purpose: 'homework' }),
    (e) => e.status === 400 && /purpose/.test(e.message));
  await assert.rejects(client.files.create({ file: await toFile(Buffer.alloc(0), 'empty.txt'), purpose: 'assistants' }),
    (e) => e.status === 400);
  await assert.rejects(client.vectorStores.retrieve('vs_doesnotexist'), (e) => e.status === 404);
  await assert.rejects(client.vectorStores.create({ file_ids: ['file-nope'] }), (e) => e.status === 404);
});
