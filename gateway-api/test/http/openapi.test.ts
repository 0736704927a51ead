import { encumbrance, historyEntry, receiptView } from '@wr/chaincode/responses';
import { loan, lot, riskEvent } from '@wr/chaincode/model';
import { expect } from 'chai';
import { z } from 'zod';
import { openApiDocument } from '../../src/http/openapi.js';
import { everyOperation } from '../../src/modules/index.js';

const all = everyOperation;
const raw = openApiDocument(all, 'http://127.0.0.1:8080');
const document = z
  .object({
    paths: z.record(z.string(), z.record(z.string(), z.looseObject({ operationId: z.string(), requestBody: z.unknown().optional(), responses: z.record(z.string(), z.unknown()) }))),
    components: z.object({ schemas: z.record(z.string(), z.looseObject({ example: z.unknown().optional() })) }),
  })
  .parse(raw);

const schemaAt = z.looseObject({ content: z.record(z.string(), z.looseObject({ schema: z.looseObject({}), example: z.unknown().optional() })) });
const refName = (schema: Record<string, unknown>): string | undefined => (typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() : undefined);
/** The example of a schema, following one $ref into the components. */
function exampleOf(schema: Record<string, unknown>): unknown {
  const name = refName(schema);
  return name === undefined ? schema.example : document.components.schemas[name]?.example;
}

/** The example of a success response's `data` (or of the whole body, when it is documented whole). */
function responseExample(op: (typeof document.paths)[string][string] | undefined): unknown {
  const [success] = Object.entries(op?.responses ?? {}).filter(([status]) => status.startsWith('2'));
  const content = schemaAt.parse(success?.[1]).content;
  // JSON, or the one other media type a response is documented in (the event stream's text/event-stream).
  const media = content['application/json'] ?? Object.values(content)[0];
  const schema = media?.schema ?? {};
  const data = z.looseObject({ properties: z.looseObject({ data: z.looseObject({}) }) }).safeParse(schema);
  return media?.example ?? schema.example ?? (data.success ? exampleOf(data.data.properties.data) : undefined);
}

describe('the OpenAPI document', () => {
  const documented = Object.values(document.paths).flatMap((methods) => Object.values(methods));

  it('documents every operation of every module once, and the one route outside them (the demo identities)', () => {
    expect(documented.map((op) => op.operationId).sort()).to.deep.equal([...all.map((op) => op.operationId), 'listDevIdentities'].sort());
  });

  it('names only components it defines in every $ref (a generated client resolves each one)', () => {
    const refs = new Set<string>();
    JSON.stringify(raw, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') refs.add(value);
      return value;
    });
    const defined = new Set(Object.keys(document.components.schemas).map((name) => `#/components/schemas/${name}`));
    expect(refs.size).to.be.greaterThan(20);
    expect([...refs].filter((ref) => !defined.has(ref))).to.deep.equal([]);
  });

  it('gives every JSON request body and every success response an example', () => {
    for (const op of documented) {
      const body = op.requestBody === undefined ? undefined : schemaAt.parse(op.requestBody).content['application/json']?.schema;
      if (body !== undefined) expect(exampleOf(body), `${op.operationId} request body`).to.not.equal(undefined);
      expect(responseExample(op), `${op.operationId} response`).to.not.equal(undefined);
    }
  });

  it("parses every example of a chaincode component with the chaincode's own schema", () => {
    const schemas = { Receipt: receiptView, ReceiptHistoryEntry: historyEntry, Encumbrance: encumbrance, Lot: lot, RiskEventRecord: riskEvent, ReceiptHistoryList: historyEntry.array(), RiskEventList: riskEvent.array(), Loan: loan };
    for (const [name, schema] of Object.entries(schemas)) {
      const result = schema.safeParse(document.components.schemas[name]?.example);
      expect(result.success, `${name}: ${result.error?.message ?? ''}`).to.equal(true);
    }
  });

  it("parses every example of a gateway operation's response with that operation's response schema", () => {
    let parsed = 0;
    for (const op of all) {
      if ('component' in op.response) continue;
      // A stream's example is its text, not a JSON body its schema could parse.
      if ((op.documentedResponse?.contentType ?? 'application/json') !== 'application/json') {
        parsed++;
        continue;
      }
      const example = responseExample(documented.find((entry) => entry.operationId === op.operationId));
      if (op.documentedResponse?.contentType === 'text/event-stream') {
        // A stream's example is its text: every data line is an event as webhooks receive it.
        const lines = z.string().parse(example).split('\n').filter((line) => line.startsWith('data: '));
        expect(lines, `${op.operationId} example events`).to.not.be.empty;
        for (const line of lines) z.object({ id: z.string(), type: z.string(), timestamp: z.string(), object: z.object({ type: z.string(), id: z.string() }), data: z.looseObject({}) }).parse(JSON.parse(line.slice(6)));
        parsed++;
        continue;
      }
      // A response documented whole (a page: `data` and `next`) has its `data` checked.
      const result = op.response.safeParse(op.documentedResponse === undefined ? example : z.object({ data: z.unknown() }).parse(example).data);
      expect(result.success, `${op.operationId}: ${result.error?.message ?? ''}`).to.equal(true);
      parsed++;
    }
    expect(parsed, 'the operations with zod responses').to.equal(all.filter((op) => !('component' in op.response)).length);
  });
});
