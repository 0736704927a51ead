import type { Allowed } from '@wr/chaincode/roles';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { WriteContext } from '../platform/write.js';
import type { Caller } from './auth.js';
// Registers zod's .openapi(), which every operations file's schemas call: importing an operations file on its own (a
// unit test of one module) must not depend on another module having loaded fields.js first.
import './fields.js';
import { parse } from './parse.js';

/** What a route does on the ledger: a transaction that is ordered and committed, or a query. */
export type LedgerCall = { readonly kind: 'submit' | 'evaluate'; readonly tx: string };

export type OperationTag =
  | 'Lots'
  | 'Receipts'
  | 'Risk events'
  | 'Devices'
  | 'Evidence'
  | 'Documents'
  | 'Checkpoints'
  | 'Rules'
  | 'Alarms'
  | 'Work orders'
  | 'Events'
  | 'Webhooks'
  | 'Session'
  | 'Dashboard'
  | 'Collateral';

/** The methods an operation may have. GET and DELETE take no body; POST and PUT take JSON (or bytes). */
export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** Whether requests of `method` carry a body. */
export const takesBody = (method: HttpMethod): boolean => method === 'post' || method === 'put';

/** A ledger transaction's place on the ledger, as a write's response reports it. */
export interface TransactionRef {
  readonly txId: string;
  readonly blockNumber: bigint;
}

/** What an operation's use case answers: the response's `data`, and for a ledger write its transaction. */
export interface Reply<T> {
  readonly data: T;
  readonly transaction?: TransactionRef;
  /** Members beside `data` (a page's `next`). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /**
   * For a read that answers with a stream (server-sent events) instead of `{data}`: it writes the response itself.
   * Throwing before it writes anything still gives the caller a problem document.
   */
  readonly respond?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** What a use case gets of its request: every part parsed with the operation's schemas, and who asks. */
export interface OperationInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly caller: Caller;
  /** The raw body, for operations that take bytes rather than JSON. */
  readonly content: AsyncIterable<Uint8Array>;
  /** For writes to the gateway's database: the caller, and the audit entry to record in the same transaction. */
  readonly write: WriteContext;
}

/** The request as the router hands it over, unparsed. */
export interface RawRequest {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
  readonly content: AsyncIterable<Uint8Array>;
}

/** Where a response's `data` is documented: a zod schema, or a component converted from the chaincode's schemas. */
export type ResponseDoc = z.ZodType | { readonly component: string };

/** A success response documented as a whole (JSON Schema), for the few whose body is not `{data}`. */
export interface DocumentedResponse {
  readonly description: string;
  /** A zod schema (its named parts become components, as a `response` does) or a JSON Schema as it is. */
  readonly schema: Readonly<Record<string, unknown>> | z.ZodType;
  /** Default application/json. */
  readonly contentType?: string;
  readonly example?: unknown;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** Everything an operation declares; {@link defineOperation} keeps the schemas' types through to `run`. */
export interface OperationSpec<S, P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, T> {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** OpenAPI path template (`{id}`); Express's `:id` is derived from it. */
  readonly path: string;
  readonly summary: string;
  readonly tag: OperationTag;
  /** Who may call it, for the documentation; `allowed` when the gateway enforces it, else the chaincode does. */
  readonly who?: string;
  /** Enforced by the gateway (403 FORBIDDEN before anything else is looked at): for operations no chaincode guards. */
  readonly allowed?: readonly Allowed[];
  /** The chaincode transaction behind it, if any: submits are audited and accept an Idempotency-Key. */
  readonly call?: LedgerCall;
  /** A write to the gateway's database: audited under this name (the audit log's tx_name). */
  readonly audit?: string;
  readonly params?: P;
  readonly query?: Q;
  /** The JSON body. A POST or PUT without one takes only an empty object. */
  readonly body?: B;
  /** The body as documented, when the use case parses parts of it itself (a batch, item by item). */
  readonly documentedBody?: z.ZodType;
  /** Takes `application/octet-stream` bytes instead of JSON. */
  readonly binaryBody?: true;
  readonly response: ResponseDoc;
  /** The whole response body as documented, when it has members beside `data`. */
  readonly documentedResponse?: DocumentedResponse;
  readonly successStatus: 200 | 201;
  run(input: OperationInput<Parsed<P>, Parsed<Q>, Parsed<B>>, services: S): Promise<Reply<T>>;
}

/** An operation of a module: what routes, the OpenAPI document and the tests read, and how to serve it. */
export interface Operation<S = never> {
  readonly operationId: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string;
  readonly tag: OperationTag;
  readonly who: string;
  readonly allowed: readonly Allowed[] | undefined;
  readonly call: LedgerCall | undefined;
  readonly audit: string | undefined;
  readonly params: z.ZodType | undefined;
  readonly query: z.ZodType | undefined;
  readonly body: z.ZodType | undefined;
  readonly documentedBody: z.ZodType | undefined;
  readonly binaryBody: boolean;
  readonly response: ResponseDoc;
  readonly documentedResponse: DocumentedResponse | undefined;
  readonly successStatus: 200 | 201;
  /** Whether it changes anything: a ledger submit or an audited database write. */
  readonly write: boolean;
  /**
   * Parses the request with the operation's schemas (400 VALIDATION_FAILED): the parsed body (what an
   * Idempotency-Key's request hash covers) and the use case, ready to run.
   */
  prepare(raw: RawRequest): Prepared<S>;
}

export interface Prepared<S> {
  readonly body: unknown;
  run(services: S, context: { readonly caller: Caller; readonly write: WriteContext }): Promise<Reply<unknown>>;
}

/** An operation with its module's services bound: what the router serves. */
export type ServedOperation = Operation<void>;

const emptyObject = z.strictObject({});

/**
 * Defines an operation of a module whose use cases need services `S` (curried, so that `S` is named and the rest is
 * inferred): `defineOperation<Services>()({ params, body, response, run })`.
 */
export function defineOperation<S>() {
  return <P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined, T = unknown>(
    spec: OperationSpec<S, P, Q, B, T>,
  ): Operation<S> => {
    const takesJson = takesBody(spec.method) && spec.binaryBody !== true;
    return {
      operationId: spec.operationId,
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tag: spec.tag,
      who: spec.who ?? (spec.allowed ?? []).map((rule) => `${rule.org} ${rule.roles.join('/')}`).join(', '),
      allowed: spec.allowed,
      call: spec.call,
      audit: spec.audit,
      params: spec.params,
      query: spec.query,
      body: spec.body,
      documentedBody: spec.documentedBody,
      binaryBody: spec.binaryBody === true,
      response: spec.response,
      documentedResponse: spec.documentedResponse,
      successStatus: spec.successStatus,
      write: spec.call?.kind === 'submit' || spec.audit !== undefined,
      prepare(raw) {
        const params = (spec.params ? parse(spec.params, raw.params, 'path') : undefined) as Parsed<P>;
        const query = (spec.query ? parse(spec.query, raw.query, 'query') : undefined) as Parsed<Q>;
        const body = (takesJson ? parse(spec.body ?? emptyObject, raw.body, 'body') : undefined) as Parsed<B>;
        return {
          body,
          run: (services, context) => spec.run({ params, query, body, content: raw.content, ...context }, services),
        };
      },
    };
  };
}

/** The module's operations with its services bound, ready for the router. */
export function serve<S>(operations: readonly Operation<S>[], services: S): ServedOperation[] {
  return operations.map((operation) => ({
    ...operation,
    prepare: (raw) => {
      const prepared = operation.prepare(raw);
      return { body: prepared.body, run: (_none, context) => prepared.run(services, context) };
    },
  }));
}

/** A ledger write's reply: the committed result and its transaction. */
export function committed<T>(result: { readonly data: T; readonly txId: string; readonly blockNumber: bigint }): Reply<T> {
  return { data: result.data, transaction: { txId: result.txId, blockNumber: result.blockNumber } };
}
