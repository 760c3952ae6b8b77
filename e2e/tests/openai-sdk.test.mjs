// Black-box: the official `openai` npm SDK against a running loopline (started by ./loopline test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { checkAs, checkEvent, checkResponse } from '../lib/schemas.mjs';

const baseURL = `${process.env.LOOPLINE_BASE_URL ?? 'http://127.0.0.1:8080'}/v1`;
const apiKey = process.env.LOOPLINE_API_KEY;
const model = process.env.LOOPLINE_MODEL ?? 'loopline-sim';
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });

const tools = [{
  type: 'function',
  function: {
    name: 'web_search',
    description: 'Search the web for pages about a topic',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
}];

test('streamed chat completion with a tool call, through llm-proxy to vllm-sim, reassembled by the SDK', async () => {
  const stream = client.chat.completions.stream({
    model,
    messages: [{ role: 'user', content: 'search the web for helidon virtual threads' }],
    tools,
    stream_options: { include_usage: true },
  });
  let chunks = 0;
  stream.on('chunk', () => { chunks += 1; });
  const completion = await stream.finalChatCompletion();
  assert.ok(chunks > 3, `expected several chunks, got ${chunks}`);
  const choice = completion.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  const call = choice.message.tool_calls[0];
  assert.match(call.id, /^chatcmpl-tool-[0-9a-f]{16}$/);
  assert.equal(call.function.name, 'web_search');
  assert.deepEqual(JSON.parse(call.function.arguments), { query: 'search the web for helidon virtual threads' });
  assert.ok(completion.usage.prompt_tokens > 0);
});

test('the tool result goes back and the streamed answer quotes it', async () => {
  const first = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'search for prefix caching' }], tools,
  });
  const call = first.choices[0].message.tool_calls[0];
  const stream = await client.chat.completions.create({
    model,
    stream: true,
    tools,
    messages: [
      { role: 'user', content: 'search for prefix caching' },
      first.choices[0].message,
      { role: 'tool', tool_call_id: call.id, content: 'Prefix caching reuses KV blocks of a shared prompt prefix.' },
    ],
  });
  let text = '';
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.match(text, /Prefix caching reuses KV blocks of a shared prompt prefix\./);
});

test('responses.create runs web_search server-side and answers from the result', async () => {
  const response = await client.responses.create({
    model,
    input: 'What is the capital of France?',
    tools: [{ type: 'web_search' }],
  });
  checkResponse(response);
  assert.equal(response.status, 'completed');
  assert.equal(response.output[0].type, 'web_search_call');
  assert.match(response.output_text, /Paris is the capital and largest city of France/);
  const again = await client.responses.retrieve(response.id);
  assert.equal(again.id, response.id);
  assert.equal(again.output_text, response.output_text);
});

test('errors arrive as the SDK expects them', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof OpenAI.NotFoundError && err.code === 'model_not_found',
  );
  const anonymous = new OpenAI({ baseURL, apiKey: 'wrong-key', maxRetries: 0 });
  await assert.rejects(anonymous.models.list(), (err) => err instanceof OpenAI.AuthenticationError);
});

test('legacy completions and the caller\'s usage through llm-proxy', async () => {
  const completion = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 8 });
  assert.equal(completion.object, 'text_completion');
  assert.ok(completion.usage.completion_tokens <= 8);
  const usage = await client.get('/usage');
  assert.equal(usage.object, 'usage');
  assert.ok(usage.totals.requests >= 1);
  assert.ok(usage.totals.total_tokens >= completion.usage.total_tokens);
});

test('responses streamed: raw events and the SDK helper assemble the same answer', async () => {
  const events = await client.responses.create({
    model, input: 'What is the capital of France?', tools: [{ type: 'web_search' }], stream: true,
  });
  const types = [];
  let text = '';
  let completed;
  for await (const e of events) {
    checkEvent(e);
    types.push(e.type);
    if (e.type === 'response.output_text.delta') text += e.delta;
    if (e.type === 'response.completed') completed = e.response;
  }
  assert.equal(types[0], 'response.created');
  assert.equal(types.at(-1), 'response.completed');
  assert.ok(types.includes('response.web_search_call.completed'));
  assert.equal(text, completed.output_text);
  assert.match(text, /Paris is the capital/);

  const stream = client.responses.stream({ model, input: 'What is the capital of France?', tools: [{ type: 'web_search' }] });
  let deltas = 0;
  stream.on('response.output_text.delta', () => { deltas += 1; });
  const final = await stream.finalResponse();
  assert.ok(deltas > 1);
  assert.equal(final.status, 'completed');
  assert.equal(final.output[0].type, 'web_search_call');
  assert.match(final.output_text, /Paris is the capital/);
  const stored = await client.responses.retrieve(final.id);
  assert.equal(stored.output_text, final.output_text);
});

test('web_search answers cite their sources as url_citation annotations, streamed as annotation.added', async () => {
  const events = await client.responses.create({
    model, input: 'How does vLLM continuous batching work?', tools: [{ type: 'web_search', search_context_size: 'low' }], stream: true,
  });
  const added = [];
  let completed;
  for await (const e of events) {
    checkEvent(e);
    if (e.type === 'response.output_text.annotation.added') added.push(e);
    if (e.type === 'response.completed') completed = e.response;
  }
  const message = completed.output.find((i) => i.type === 'message');
  const annotations = message.content[0].annotations;
  const found = completed.output[0].action.sources.map((s) => s.url);
  assert.ok(annotations.length > 0, JSON.stringify(completed.output));
  assert.deepEqual(added.map((e) => e.annotation), annotations);
  for (const a of annotations) {
    assert.equal(a.type, 'url_citation');
    assert.ok(found.includes(a.url), `${a.url} was found by the search`);
    assert.ok(a.start_index < a.end_index && a.end_index <= [...completed.output_text].length);
  }
});

test('responses.inputTokens.count and responses.compact, whose output goes back as input', async () => {
  const counted = await client.responses.inputTokens.count({ model, input: 'What is the tallest mountain in Norway?' });
  checkAs('TokenCountsResource', counted);
  const created = await client.responses.create({ model, input: 'What is the tallest mountain in Norway?' });
  assert.equal(counted.input_tokens, created.usage.input_tokens);

  const compacted = await client.responses.compact({ model, previous_response_id: created.id, input: 'And in Sweden?' });
  checkAs('CompactResource', compacted);
  assert.equal(compacted.object, 'response.compaction');
  const last = compacted.output.at(-1);
  assert.equal(last.type, 'compaction');
  assert.match(last.encrypted_content, /^llc1\./);
  const next = await client.responses.create({
    model, store: false, input: [...compacted.output, { role: 'user', content: 'Which is higher?' }],
  });
  checkResponse(next);
  assert.equal(next.status, 'completed');
});

test('client tools of the newer spec (namespace, custom, shell, apply_patch): their calls stream and check against OpenAI 2026-08', async () => {
  const cases = [
    [{ type: 'namespace', name: 'crm', description: 'Customer records', tools: [{ type: 'function', name: 'find_customer',
      parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }] }, 'function_call'],
    [{ type: 'custom', name: 'run_sql', description: 'Run one SQL query' }, 'custom_tool_call'],
    [{ type: 'shell' }, 'shell_call'],
    [{ type: 'apply_patch' }, 'apply_patch_call'],
  ];
  for (const [tool, itemType] of cases) {
    const events = await client.responses.create({ model, input: 'Find the customer named Ada Lovelace', tools: [tool], tool_choice: 'required', stream: true });
    let completed;
    for await (const e of events) {
      checkEvent(e);
      if (e.type === 'response.completed') completed = e.response;
    }
    assert.ok(completed.output.some((i) => i.type === itemType), `${tool.type}: ${JSON.stringify(completed.output)}`);
    checkResponse(await client.responses.retrieve(completed.id));
  }
});

test('embeddings through llm-proxy from the embedding model (a second vllm-sim, as a second vLLM server would be)', async () => {
  const embedModel = process.env.LOOPLINE_EMBEDDING_MODEL ?? 'loopline-sim-embed';
  const listed = [];
  for await (const m of client.models.list()) listed.push(m.id);
  assert.ok(listed.includes(embedModel) && listed.includes(model), `both upstreams' models are listed: ${listed}`);
  // The SDK asks for base64 by default and decodes it to floats itself.
  const texts = ['cats purr', 'cats purr loudly', 'stock markets fell'];
  const r = await client.embeddings.create({ model: embedModel, input: texts });
  assert.equal(r.data.length, 3);
  assert.equal(r.data[0].embedding.length, 384);
  assert.ok(r.usage.prompt_tokens > 0);
  const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
  assert.ok(dot(r.data[0].embedding, r.data[1].embedding) > dot(r.data[0].embedding, r.data[2].embedding));
  const floats = await client.embeddings.create({ model: embedModel, input: texts[0], encoding_format: 'float' });
  checkAs('CreateEmbeddingResponse', floats);
  floats.data[0].embedding.forEach((x, i) => assert.ok(Math.abs(x - r.data[0].embedding[i]) < 1e-6, `component ${i}`));
  // A chat model has no embeddings route on vLLM: its 404 reaches the caller in the OpenAI shape.
  await assert.rejects(client.embeddings.create({ model, input: 'x' }), (err) => err instanceof OpenAI.NotFoundError);
});
