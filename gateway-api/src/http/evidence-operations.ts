import { anyKnownCaller, type Allowed } from '@wr/chaincode/roles';
import type { z } from 'zod';
import type { AnchoringQueries } from '../anchoring/bundles.js';
import type { EvidenceService, WriteContext } from '../evidence/intake.js';
import type { DeviceRecord, StoredEvidence } from '../evidence/store.js';
import * as e from './evidence-schemas.js';
import { parse } from './parse.js';
import { emptyBody, idParams } from './schemas.js';

/** What an evidence operation gets from its request, unparsed: the route parses it with the operation's schemas. */
export interface ServiceRequest {
  readonly params: unknown;
  readonly body: unknown;
  /** The query string's parameters (Express's simple parser: strings). */
  readonly query: unknown;
  /** The raw body, for operations that take bytes rather than JSON. */
  readonly content: AsyncIterable<Uint8Array>;
}

/**
 * One HTTP operation served by the gateway itself from its database (devices, evidence, documents), not by a
 * chaincode transaction. As with operations.ts, Express routes and the OpenAPI document are both generated from this
 * table; here the gateway also enforces `allowed`, since no chaincode stands behind these routes.
 */
export interface ServiceOperation {
  readonly operationId: string;
  readonly method: 'get' | 'post' | 'put';
  /** OpenAPI path template (`{id}`); Express's `:id` is derived from it. */
  readonly path: string;
  readonly summary: string;
  readonly tag: 'Devices' | 'Evidence' | 'Documents' | 'Checkpoints';
  /** Who may call it; anyone else gets 403 FORBIDDEN before the request is looked at further. */
  readonly allowed: readonly Allowed[];
  readonly params?: z.ZodType<Record<string, string>>;
  /** The query string's schema, as documented. */
  readonly query?: z.ZodType<Record<string, string | undefined>>;
  /** The JSON body's schema as documented (when it is not the one parsed, e.g. batches parsed item by item). */
  readonly body?: z.ZodType;
  /** Takes `application/octet-stream` bytes instead of JSON. */
  readonly binaryBody?: true;
  /** The `data` of a success, documented. */
  readonly response: z.ZodType;
  /** A write: audited (name recorded as the audit log's tx_name) and, for POST, Idempotency-Key aware. */
  readonly audit?: string;
  readonly successStatus: 200 | 201;
  /**
   * Parses the request with the operation's schemas (400 VALIDATION_FAILED): returns the parsed body (what an
   * Idempotency-Key's request hash covers) and the use case to run, which returns the response's `data`.
   */
  readonly prepare: (request: ServiceRequest) => Prepared;
}

/** What the gateway's own operations are served by. */
export interface ServiceDependencies {
  readonly evidence: EvidenceService;
  readonly anchoring: AnchoringQueries;
}

export interface Prepared {
  readonly body: unknown;
  readonly run: (services: ServiceDependencies, context: WriteContext) => Promise<unknown>;
}

const custodian = (...roles: Allowed['roles']): readonly Allowed[] => [{ org: 'custodian', roles }];
const anyCustodian = custodian('clerk', 'supervisor', 'auditor', 'device-gateway');

/** Text of a path parameter the schema guarantees. */
const param = (params: Record<string, string>, name: string): string => params[name] ?? '';

/** A GET of one thing by its `{id}`, for any custodian role. */
const byId = (
  operationId: string,
  path: string,
  summary: string,
  tag: ServiceOperation['tag'],
  response: z.ZodType,
  run: (services: ServiceDependencies, id: string) => Promise<unknown>,
): ServiceOperation => ({
  operationId,
  method: 'get',
  path,
  summary,
  tag,
  allowed: anyCustodian,
  params: idParams,
  response,
  successStatus: 200,
  prepare: (request) => {
    const id = param(parse(idParams, request.params, 'path'), 'id');
    return { body: undefined, run: (services) => run(services, id) };
  },
});

const deviceView = (device: DeviceRecord): z.infer<typeof e.device> => ({
  id: device.id,
  warehouseId: device.warehouseId,
  kind: device.kind,
  algorithm: device.algorithm,
  publicKey: device.publicKey,
  active: device.active,
  createdBy: device.createdBy,
  createdAt: device.createdAt.toISOString(),
  deactivatedAt: device.deactivatedAt?.toISOString() ?? null,
});

const evidenceView = (stored: StoredEvidence): z.infer<typeof e.evidence> => ({
  id: stored.id,
  kind: stored.kind,
  record: stored.record,
  leafHash: stored.leafHash,
  leafIndex: stored.leafIndex,
  deviceId: stored.deviceId,
  seqGap: stored.seqGap,
  lotId: stored.lotId,
  receiptId: stored.receiptId,
  submittedBy: stored.submittedBy,
  receivedAt: stored.receivedAt.toISOString(),
  checkpointSeq: stored.checkpointSeq,
});

export const evidenceOperations: readonly ServiceOperation[] = [
  {
    operationId: 'registerDevice',
    method: 'post',
    path: '/v1/devices',
    summary: 'Register a device and the public key it signs its readings with (Ed25519 or ECDSA P-256, SPKI PEM)',
    tag: 'Devices',
    allowed: custodian('supervisor'),
    body: e.deviceRegistrationBody,
    response: e.device,
    audit: 'RegisterDevice',
    successStatus: 201,
    prepare: (request) => {
      const body = parse(e.deviceRegistrationBody, request.body, 'body');
      return { body, run: async ({ evidence: service }, context) => deviceView(await service.registerDevice(body, context)) };
    },
  },
  byId('getDevice', '/v1/devices/{id}', 'A registered device, its key and whether it is active', 'Devices', e.device, async ({ evidence }, id) =>
    deviceView(await evidence.device(id)),
  ),

  {
    operationId: 'deactivateDevice',
    method: 'post',
    path: '/v1/devices/{id}/deactivate',
    summary: 'Deactivate a device: its later submissions are refused with DEVICE_INACTIVE (its evidence stays)',
    tag: 'Devices',
    allowed: custodian('supervisor'),
    params: idParams,
    body: emptyBody.optional(),
    response: e.device,
    audit: 'DeactivateDevice',
    successStatus: 200,
    prepare: (request) => {
      const id = param(parse(idParams, request.params, 'path'), 'id');
      const body = parse(emptyBody.optional(), request.body, 'body');
      return { body, run: async ({ evidence: service }, context) => deviceView(await service.deactivateDevice(id, context)) };
    },
  },
  {
    operationId: 'submitEvidence',
    method: 'post',
    path: '/v1/evidence',
    summary:
      'Submit signed device envelopes; each item is accepted (stored as a Merkle leaf) or refused with its own code, ' +
      'and the accepted ones are committed together',
    tag: 'Evidence',
    allowed: custodian('device-gateway'),
    body: e.evidenceBatchDoc,
    response: e.evidenceBatchResult,
    audit: 'SubmitEvidence',
    successStatus: 200,
    prepare: (request) => {
      const body = parse(e.evidenceBatchBody, request.body, 'body');
      return { body, run: ({ evidence: service }, context) => service.submitBatch(body.items, context) };
    },
  },
  byId(
    'getEvidence',
    '/v1/evidence/{id}',
    'A piece of evidence: its record exactly as hashed, its leaf hash and index, links, and its checkpoint once cut',
    'Evidence',
    e.evidence,
    async ({ evidence }, id) => evidenceView(await evidence.evidence(id)),
  ),

  byId(
    'getEvidenceBundle',
    '/v1/evidence/{id}/bundle',
    'The court bundle (wr-evidence-bundle/1) of a piece of evidence: record, device key, inclusion proof, checkpoint, anchor; 409 NOT_YET_ANCHORED until anchored',
    'Evidence',
    e.evidenceBundle,
    ({ anchoring }, id) => anchoring.bundle(id),
  ),

  {
    operationId: 'listCheckpoints',
    method: 'get',
    path: '/v1/checkpoints',
    summary: 'Checkpoints, newest first (`limit`, default 100; `before` a seq to page), each with its anchor once confirmed',
    tag: 'Checkpoints',
    allowed: anyKnownCaller,
    query: e.checkpointListQuery,
    response: e.checkpointList,
    successStatus: 200,
    prepare: (request) => {
      const query = parse(e.checkpointListQuery, request.query, 'query');
      const limit = query.limit === undefined ? 100 : Number(query.limit);
      const before = query.before === undefined ? undefined : Number(query.before);
      return { body: undefined, run: ({ anchoring }) => anchoring.checkpoints(limit, before) };
    },
  },
  {
    operationId: 'getCheckpoint',
    method: 'get',
    path: '/v1/checkpoints/{seq}',
    summary: 'One checkpoint: its root and hash, where it is anchored and its RecordCheckpoint transaction on the ledger',
    tag: 'Checkpoints',
    allowed: anyKnownCaller,
    params: e.checkpointSeqParams,
    response: e.checkpointView,
    successStatus: 200,
    prepare: (request) => {
      const seq = Number(param(parse(e.checkpointSeqParams, request.params, 'path'), 'seq'));
      return { body: undefined, run: ({ anchoring }) => anchoring.checkpoint(seq) };
    },
  },
  {
    operationId: 'registerDocument',
    method: 'post',
    path: '/v1/documents',
    summary: "Register a document by its SHA-256 and metadata; it becomes evidence (a leaf). Its bytes follow with PUT .../content",
    tag: 'Documents',
    allowed: custodian('clerk', 'supervisor', 'device-gateway'),
    body: e.documentBody,
    response: e.documentRegistered,
    audit: 'RegisterDocument',
    successStatus: 201,
    prepare: (request) => {
      const body = parse(e.documentBody, request.body, 'body');
      return { body, run: ({ evidence: service }, context) => service.registerDocument(body, context) };
    },
  },
  {
    operationId: 'putDocumentContent',
    method: 'put',
    path: '/v1/documents/{hash}/content',
    summary:
      "Upload a registered document's bytes (application/octet-stream); they are kept only if their SHA-256 and size " +
      'are the registered ones. Content-addressed, so repeating the upload is harmless',
    tag: 'Documents',
    allowed: custodian('clerk', 'supervisor', 'device-gateway'),
    params: e.hashParams,
    binaryBody: true,
    response: e.documentContentStored,
    audit: 'StoreDocumentContent',
    successStatus: 200,
    prepare: (request) => {
      const hash = param(parse(e.hashParams, request.params, 'path'), 'hash');
      return { body: undefined, run: ({ evidence: service }, context) => service.storeDocumentContent(hash, request.content, context) };
    },
  },
];

const binaryRoutes = evidenceOperations
  .filter((operation) => operation.binaryBody)
  .map((operation) => ({ method: operation.method.toUpperCase(), pattern: new RegExp(`^${operation.path.replaceAll(/\{[a-zA-Z]+\}/g, '[^/]+')}/?$`, 'i') }));

/** Whether `method` on `path` (the full /v1 path) is an operation that takes bytes rather than JSON. */
export function takesBinaryBody(method: string, path: string): boolean {
  return binaryRoutes.some((route) => route.method === method && route.pattern.test(path));
}
