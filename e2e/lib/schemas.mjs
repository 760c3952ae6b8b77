// Strict checks of what loopline emits against the published schemas: OpenAI's current OpenAPI
// spec (2026-08: every response, item and streamed event, including the namespace, custom, shell,
// apply_patch and compaction shapes and cache_write_tokens), the older 2.3.0 one that clients
// generated from it still parse with (for everything it knows), and the Open Responses spec (the
// core it covers: messages and function calls). The specs are copied from ../shared/specs into e2e/specs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'specs');

function compiler(doc, id) {
  // OpenAPI 3.1 schemas are JSON Schema 2020-12 plus vendor keywords (x-…), which strict mode would refuse.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true, discriminator: false });
  addFormats(ajv);
  // OpenAI's 2026 spec marks Unix timestamps with a format of its own.
  ajv.addFormat('unixtime', { type: 'number', validate: (n) => Number.isInteger(n) && n >= 0 });
  ajv.addSchema({ $id: id, components: doc.components }, id);
  return (name) => {
    const validate = ajv.getSchema(`${id}#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name} in ${id}`);
    return validate;
  };
}

function spec(file, id) {
  const doc = parse(fs.readFileSync(path.join(dir, file), 'utf8'), { maxAliasCount: -1 });
  // ResponseStreamEvent is a union of event schemas; each event is checked against the one its type names.
  const events = new Map(doc.components.schemas.ResponseStreamEvent.anyOf.map(({ $ref }) => {
    const name = $ref.split('/').pop();
    return [doc.components.schemas[name].properties.type.enum[0], name];
  }));
  return { schema: compiler(doc, id), events };
}

const current = spec('openai-openapi-2026-08.yml', 'openai-2026-08');
const older = spec('openai-openapi-2.3.0.yml', 'openai-2.3.0');
const openai = current.schema;
// What 2.3.0 has no shape for: responses and events holding these are checked against 2026-08 only.
const newerItems = new Set(['custom_tool_call', 'custom_tool_call_output', 'shell_call', 'shell_call_output',
  'apply_patch_call', 'apply_patch_call_output', 'compaction']);
const newerTools = new Set(['namespace', 'custom', 'shell', 'apply_patch']);
const olderKnows = (response) => response.output.every((i) => !newerItems.has(i.type))
  && response.tools.every((t) => !newerTools.has(t.type));
const openResponses = compiler(JSON.parse(fs.readFileSync(path.join(dir, 'openresponses-openapi.json'), 'utf8')), 'openresponses');

function check(validate, value, what) {
  if (!validate(value)) {
    const errors = validate.errors.slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    throw new Error(`${what} does not match the schema:\n  ${errors.join('\n  ')}\n${JSON.stringify(value).slice(0, 2000)}`);
  }
}

/**
 * A response object: OpenAI's Response of 2026-08 always, and of 2.3.0 when it has the shapes;
 * Open Responses' ResponseResource when it holds only core items.
 */
export function checkResponse(response) {
  check(openai('Response'), response, `response ${response.id} (OpenAI 2026-08)`);
  if (olderKnows(response)) {
    check(older.schema('Response'), response, `response ${response.id} (OpenAI 2.3.0)`);
  }
  const core = response.output.every((i) => ['message', 'function_call'].includes(i.type))
    && response.tools.every((t) => t.type === 'function');
  if (core) {
    // The one conflict between the specs: Open Responses requires safety_identifier and
    // prompt_cache_key (nullable), OpenAI's types them as strings (no null). loopline follows
    // OpenAI's (they are left out unless given; docs/api.md), so only here they stand as null.
    const asOpenResponses = { safety_identifier: null, prompt_cache_key: null, ...response };
    check(openResponses('ResponseResource'), asOpenResponses, `response ${response.id} (Open Responses)`);
  }
}

/** One streamed event: the member of OpenAI's ResponseStreamEvent union that its type names (both specs, where 2.3.0 has it). */
export function checkEvent(event) {
  const name = current.events.get(event.type);
  if (!name) throw new Error(`event type ${event.type} is not in OpenAI's ResponseStreamEvent`);
  check(openai(name), event, `event ${event.type} #${event.sequence_number}`);
  const oldName = older.events.get(event.type);
  const newerItem = event.item && (newerItems.has(event.item.type));
  if (oldName && !newerItem && !(event.response && !olderKnows(event.response))) {
    check(older.schema(oldName), event, `event ${event.type} #${event.sequence_number} (OpenAI 2.3.0)`);
  }
  if (event.response) checkResponse(event.response);
}

/** Any other named schema of OpenAI's current spec (conversations, items, lists, token counts, compaction). */
export function checkAs(name, value) {
  check(openai(name), value, name);
}
