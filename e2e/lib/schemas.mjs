// Strict checks of what loopline emits against the published schemas: OpenAI's OpenAPI 2.3.0
// (every response, item and streamed event) and the Open Responses spec (the core it covers:
// messages and function calls). The specs are copied from ../shared/specs into e2e/specs.
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
  ajv.addSchema({ $id: id, components: doc.components }, id);
  return (name) => {
    const validate = ajv.getSchema(`${id}#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name} in ${id}`);
    return validate;
  };
}

const openaiDoc = parse(fs.readFileSync(path.join(dir, 'openai-openapi-2.3.0.yml'), 'utf8'), { maxAliasCount: -1 });
const openai = compiler(openaiDoc, 'openai');
// ResponseStreamEvent is a union of 53 event schemas; each event is checked against the one its type names.
const eventSchema = new Map(openaiDoc.components.schemas.ResponseStreamEvent.anyOf.map(({ $ref }) => {
  const name = $ref.split('/').pop();
  return [openaiDoc.components.schemas[name].properties.type.enum[0], name];
}));
const openResponses = compiler(JSON.parse(fs.readFileSync(path.join(dir, 'openresponses-openapi.json'), 'utf8')), 'openresponses');

function check(validate, value, what) {
  if (!validate(value)) {
    const errors = validate.errors.slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    throw new Error(`${what} does not match the schema:\n  ${errors.join('\n  ')}\n${JSON.stringify(value).slice(0, 2000)}`);
  }
}

/** A response object: OpenAI's Response always; Open Responses' ResponseResource when it holds only core items. */
export function checkResponse(response) {
  check(openai('Response'), response, `response ${response.id} (OpenAI)`);
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

/** One streamed event: the member of OpenAI's ResponseStreamEvent union that its type names. */
export function checkEvent(event) {
  const name = eventSchema.get(event.type);
  if (!name) throw new Error(`event type ${event.type} is not in OpenAI's ResponseStreamEvent`);
  check(openai(name), event, `event ${event.type} #${event.sequence_number}`);
  if (event.response) checkResponse(event.response);
}

/** Any other named schema of OpenAI's spec (conversations, items, lists). */
export function checkAs(name, value) {
  check(openai(name), value, name);
}
