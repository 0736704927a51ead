import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { isIP } from 'node:net';
import { z } from 'zod';

import { ChainError } from '../verifier/chain-error.js';
import { type Eip1193Provider, asJsonRpcError } from '../verifier/json-rpc.js';

/**
 * JSON-RPC methods that read the chain. Anything else (sending, signing, evm_*, hardhat_*, debug_*) is refused:
 * a write from outside would not be recorded by the dev chain and would make its replay diverge.
 * eth_call and eth_estimateGas execute code but change no state.
 */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
  'eth_blobBaseFee',
  'eth_blockNumber',
  'eth_call',
  'eth_chainId',
  'eth_estimateGas',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_getBalance',
  'eth_getBlockByHash',
  'eth_getBlockByNumber',
  'eth_getBlockTransactionCountByHash',
  'eth_getBlockTransactionCountByNumber',
  'eth_getCode',
  'eth_getFilterChanges',
  'eth_getFilterLogs',
  'eth_getLogs',
  'eth_getProof',
  'eth_getStorageAt',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getTransactionByHash',
  'eth_getTransactionCount',
  'eth_getTransactionReceipt',
  'eth_maxPriorityFeePerGas',
  'eth_newBlockFilter',
  'eth_newFilter',
  'eth_syncing',
  'eth_uninstallFilter',
  'net_listening',
  'net_peerCount',
  'net_version',
  'web3_clientVersion',
  'web3_sha3',
]);

/** JSON-RPC error code for a method this server does not serve (JSON-RPC 2.0 "Method not found"). */
export const METHOD_NOT_ALLOWED_CODE = -32601;

const MAX_BODY_BYTES = 1024 * 1024;

/** Options of serveReadOnlyJsonRpc. */
export interface ReadOnlyRpcServerOptions {
  /** Where requests are forwarded. */
  readonly provider: Eip1193Provider;
  /** A loopback host; default 127.0.0.1. */
  readonly host?: string;
  /** The port; 0 picks a free one. */
  readonly port: number;
}

/** A running read-only JSON-RPC server. */
export interface ReadOnlyRpcServer {
  /** e.g. http://127.0.0.1:8545 */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts a dev chain may listen on. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && (host === '::1' || host === '0:0:0:0:0:0:0:1');
}

const requestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  method: z.string(),
  params: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
});

type JsonRpcId = string | number | null;
type JsonRpcReply =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: unknown }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: { code: number; message: string; data?: unknown } };

function errorReply(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcReply {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

async function answer(provider: Eip1193Provider, item: unknown): Promise<JsonRpcReply | undefined> {
  const parsed = requestSchema.safeParse(item);
  if (!parsed.success) return errorReply(null, -32600, 'Invalid request');
  const { method, params } = parsed.data;
  const id = parsed.data.id ?? null;
  const notification = parsed.data.id === undefined;
  if (!READ_ONLY_METHODS.has(method)) {
    return errorReply(id, METHOD_NOT_ALLOWED_CODE, `${method} is not available: this endpoint only reads the chain`);
  }
  try {
    const result = await provider.request({ method, params: params ?? [] });
    return notification ? undefined : { jsonrpc: '2.0', id, result: result ?? null };
  } catch (error) {
    const rpcError = asJsonRpcError(error);
    if (rpcError !== undefined) return errorReply(id, rpcError.code, rpcError.message, rpcError.data);
    if (error instanceof ChainError) return errorReply(id, -32603, error.message);
    return errorReply(id, -32603, 'Internal error');
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/**
 * CORS for browsers (the verification page, opened from the gateway or from disk): the endpoint only reads a public
 * chain and takes no credentials, so any origin may read it. Private Network Access lets a page that is not on
 * loopback reach it too.
 */
function allowBrowsers(request: IncomingMessage, response: ServerResponse): boolean {
  response.setHeader('access-control-allow-origin', '*');
  if (request.method !== 'OPTIONS') return false;
  response.writeHead(204, {
    'access-control-allow-methods': 'POST',
    'access-control-allow-headers': 'content-type',
    'access-control-allow-private-network': 'true',
    'access-control-max-age': '600',
  });
  response.end();
  return true;
}

async function handle(provider: Eip1193Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (allowBrowsers(request, response)) return;
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST, OPTIONS');
    send(response, 405, errorReply(null, -32600, 'use POST'));
    return;
  }
  const body = await readBody(request);
  if (body === undefined) {
    send(response, 413, errorReply(null, -32600, 'request too large'));
    return;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    send(response, 200, errorReply(null, -32700, 'Parse error'));
    return;
  }
  if (Array.isArray(payload)) {
    if (payload.length === 0) {
      send(response, 200, errorReply(null, -32600, 'Invalid request: empty batch'));
      return;
    }
    const replies = (await Promise.all(payload.map((item) => answer(provider, item)))).filter((r) => r !== undefined);
    if (replies.length === 0) response.writeHead(204).end();
    else send(response, 200, replies);
    return;
  }
  const reply = await answer(provider, payload);
  if (reply === undefined) response.writeHead(204).end();
  else send(response, 200, reply);
}

/** Serves read-only Ethereum JSON-RPC (single and batch) over HTTP on a loopback address. */
export async function serveReadOnlyJsonRpc(options: Readonly<ReadOnlyRpcServerOptions>): Promise<ReadOnlyRpcServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new ChainError('INVALID_ARGUMENT', `the dev chain's RPC listens on loopback only, not on ${host}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new ChainError('INVALID_ARGUMENT', `invalid port ${options.port}`);
  }
  const server = createServer((request, response) => {
    handle(options.provider, request, response).catch(() => {
      if (!response.headersSent) send(response, 500, errorReply(null, -32603, 'Internal error'));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new ChainError('CHAIN_ERROR', 'the server has no TCP address');
  const urlHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${urlHost}:${bound.port}`,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
