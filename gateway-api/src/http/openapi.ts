import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { componentExamples } from './component-examples.js';
import { devIdentity, devIdentityExample } from './dev-identities.js';
import { emptyBody } from './fields.js';
import { takesBody, type Operation, type ResponseDoc } from './operation.js';
import { eventCatalogue, eventExamples, eventTypes } from '../modules/events/catalogue.js';

type JsonSchema = Record<string, unknown>;

/** The id of each kind of object in the events' examples. */
const exampleObjectIds: Readonly<Record<string, string>> = {
  receipt: 'WR-2026-0001',
  lot: 'LOT-QD-0001',
  'risk-event': 'alarm-a1b2c3d4e5f60718293a4b5c6d7e8f90',
  alarm: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  'work-order': 'WO-000017',
  checkpoint: '12',
};

/**
 * Response schemas come from the chaincode's own zod schemas (what GetReceipt, GetEncumbrance... return). The
 * chaincode is CommonJS and has its own instance of zod, so they are converted with that instance's toJSONSchema.
 */
function chaincodeSchemas(): Record<string, JsonSchema> {
  const require = createRequire(import.meta.url);
  const responses = require('@wr/chaincode/responses') as Record<string, unknown>;
  const model = require('@wr/chaincode/model') as Record<string, unknown>;
  const cjsZod = require('zod') as { toJSONSchema(schema: unknown, options?: { io?: 'input' | 'output'; unrepresentable?: 'any' }): JsonSchema };
  const convert = (schema: unknown): JsonSchema => {
    // OpenAPI 3.1 components are JSON Schema already; the dialect is the document's, not each schema's.
    const converted = cjsZod.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
    delete converted.$schema;
    return converted;
  };
  return {
    Receipt: convert(responses.receiptView),
    ReceiptHistoryEntry: convert(responses.historyEntry),
    Encumbrance: convert(responses.encumbrance),
    Lot: convert(model.lot),
    RiskEventRecord: convert(model.riskEvent),
    Loan: convert(model.loan),
  };
}

const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ description: 'stable code: map this, never the text', example: 'OVER_ISSUE' }),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    txId: z.string().optional(),
    errors: z.array(z.object({ in: z.string(), path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

/** The OpenAPI 3.1 document of the HTTP API, generated from the same table and schemas the routes use. */
export function openApiDocument(operations: readonly Operation<unknown>[], serverUrl: string): object {
  const registry = new OpenAPIRegistry();
  const components = chaincodeSchemas();
  components.ReceiptHistoryList = { type: 'array', items: { $ref: '#/components/schemas/ReceiptHistoryEntry' } };
  components.RiskEventList = { type: 'array', items: { $ref: '#/components/schemas/RiskEventRecord' } };
  for (const [name, schema] of Object.entries(components)) registry.registerComponent('schemas', name, { ...schema, example: componentExamples[name] });
  registry.register('Problem', problem);
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'token from dev-tokens.json or `npm run admin -- issue-token`' });

  const problems = (statuses: number[]) =>
    Object.fromEntries(statuses.map((status) => [String(status), { description: 'problem (RFC 9457)', content: { 'application/problem+json': { schema: problem } } }]));
  const transaction = {
    type: 'object' as const,
    required: ['txId', 'blockNumber'],
    properties: { txId: { type: 'string' as const }, blockNumber: { type: 'integer' as const } },
  };
  /** `{data}` (and a ledger write's `transaction`) around the operation's data schema. */
  const envelope = (response: ResponseDoc, write: boolean) => {
    if (!('component' in response)) return z.object({ data: response });
    const ref = { $ref: `#/components/schemas/${response.component}` };
    return {
      type: 'object' as const,
      required: write ? ['data', 'transaction'] : ['data'],
      properties: { data: ref, ...(write ? { transaction } : {}) },
    };
  };

  for (const op of operations) {
    const idempotencyKey = op.write && op.method === 'post';
    const jsonBody = op.documentedBody ?? op.body ?? (takesBody(op.method) && !op.binaryBody ? emptyBody : undefined);
    const source = op.call ? `Chaincode transaction \`${op.call.tx}\`.` : "Served from the gateway's database (no ledger transaction).";
    registry.registerPath({
      method: op.method,
      path: op.path,
      operationId: op.operationId,
      summary: op.summary,
      description: `${source} Who: ${op.who}.${idempotencyKey ? ' Accepts an `Idempotency-Key` header.' : ''}`,
      tags: [op.tag],
      security: [{ [bearer.name]: [] }],
      request: {
        ...(op.params ? { params: op.params as z.ZodObject } : {}),
        ...(op.query ? { query: op.query as z.ZodObject } : {}),
        ...(jsonBody ? { body: { required: !jsonBody.safeParse(undefined).success, content: { 'application/json': { schema: jsonBody } } } } : {}),
        ...(op.binaryBody
          ? { body: { required: true, content: { 'application/octet-stream': { schema: { type: 'string' as const, contentMediaType: 'application/octet-stream' } } } } }
          : {}),
        ...(idempotencyKey ? { headers: z.object({ 'Idempotency-Key': z.string().max(200).optional() }) } : {}),
      },
      responses: {
        [String(op.successStatus)]: op.documentedResponse
          ? {
              description: op.documentedResponse.description,
              content: {
                [op.documentedResponse.contentType ?? 'application/json']: {
                  schema: op.documentedResponse.schema,
                  ...(op.documentedResponse.example === undefined ? {} : { example: op.documentedResponse.example }),
                },
              },
            }
          : {
              description: op.call ? (op.write ? 'committed on the ledger' : 'as the ledger holds it now') : op.write ? 'stored' : 'as stored',
              content: { 'application/json': { schema: envelope(op.response, op.call?.kind === 'submit') } },
            },
        ...problems(op.binaryBody ? [400, 401, 403, 404, 413, 415, 429] : [400, 401, 403, 404, 409, 413, 422, 429]),
      },
    });
  }

  // Outside the operations table: it needs no token (it hands out the demo ones), and exists on embedded dev defaults only.
  registry.registerPath({
    method: 'get',
    path: '/v1/dev-identities',
    operationId: 'listDevIdentities',
    summary: 'The demo identities and their tokens, for the console\'s sign-in page (embedded dev defaults only)',
    description:
      'No token needed. Answers 404 DEV_IDENTITIES_OFF unless the gateway runs with DEV_IDENTITIES (the default with the embedded ledger). ' +
      'The same tokens are in DATA_DIR/dev-tokens.json and printed by `npm start`; the device gateway\'s service identity is not listed.',
    tags: ['Session'],
    security: [],
    responses: {
      '200': {
        description: 'the demo identities',
        content: { 'application/json': { schema: z.object({ data: z.array(devIdentity) }), example: { data: [devIdentityExample] } } },
      },
      ...problems([404]),
    },
  });

  // Every event type, as the body a webhook subscriber receives (GET /v1/events carries the same JSON as `data`).
  for (const type of eventTypes) {
    const { object, summary } = eventCatalogue[type];
    registry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `event:${type}`,
      summary,
      description:
        `Sent to webhook subscriptions that take \`${type}\`, and on GET /v1/events, to the parties that may see the ${object}. ` +
        'Signed as Standard Webhooks: headers webhook-id (the event id), webhook-timestamp, webhook-signature (v1,<base64 HMAC-SHA256>).',
      tags: ['Events'],
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['id', 'type', 'timestamp', 'object', 'data'],
                properties: {
                  id: { type: 'string', description: 'stable event id: deduplicate on it' },
                  type: { type: 'string', const: type },
                  timestamp: { type: 'string', format: 'date-time', description: 'when the change happened' },
                  object: { type: 'object', required: ['type', 'id'], properties: { type: { type: 'string', const: object }, id: { type: 'string' } } },
                  data: { type: 'object', additionalProperties: true },
                },
              },
              example: { id: `ledger-7d3c5f0e8b2a41c6-${type}`, type, timestamp: '2026-11-20T04:00:00.000Z', object: { type: object, id: exampleObjectIds[object] }, data: eventExamples[type] },
            },
          },
        },
      },
      responses: { '200': { description: 'any 2xx acknowledges the delivery; anything else, or no answer in time, is retried' } },
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Warehouse receipt registry API',
      version: '1.0.0',
      description:
        'Electronic warehouse receipts on a shared ledger: custodians issue, borrowers pledge, lenders verify and release. ' +
        'Errors are application/problem+json with a stable `code`. Quantities and amounts are decimal strings.',
    },
    servers: [{ url: serverUrl }],
  });
}
