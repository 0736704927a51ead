import { z } from 'zod';

import { ChainError } from './chain-error.js';

/** An EIP-1193 provider: the one port every chain backend (dev chain, Hardhat, any HTTP RPC) is reached through. */
export interface Eip1193Provider {
  request(args: { readonly method: string; readonly params?: readonly unknown[] | object }): Promise<unknown>;
}

/** A JSON-RPC error object as the node sent it (code -32000 for most node errors, 3 for reverts with data). */
export class JsonRpcResponseError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'JsonRpcResponseError';
    this.code = code;
    this.data = data;
  }
}

const errorObjectSchema = z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() });

/** Reads a JSON-RPC error out of whatever a provider threw, or undefined if it was not one (a transport failure). */
export function asJsonRpcError(error: unknown): JsonRpcResponseError | undefined {
  if (error instanceof JsonRpcResponseError) return error;
  const parsed = errorObjectSchema.safeParse(error);
  return parsed.success ? new JsonRpcResponseError(parsed.data.code, parsed.data.message, parsed.data.data) : undefined;
}

const responseSchema = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: z.unknown(), result: z.unknown() }),
  z.object({ jsonrpc: z.literal('2.0'), id: z.unknown(), error: errorObjectSchema }),
]);

/** Options of httpJsonRpcProvider. */
export interface HttpProviderOptions {
  /** Per-request timeout; the node is "unavailable" after it. Default 30 s. */
  readonly timeoutMs?: number;
}

/** An EIP-1193 provider over HTTP JSON-RPC; transport failures become ChainError CHAIN_UNAVAILABLE. */
export function httpJsonRpcProvider(url: string, options: Readonly<HttpProviderOptions> = {}): Eip1193Provider {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let nextId = 1;
  return {
    async request({ method, params }) {
      const id = nextId++;
      let body: unknown;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? [] }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok && response.status !== 400 && response.status !== 500) {
          throw new Error(`HTTP ${response.status} ${response.statusText}`);
        }
        body = await response.json();
      } catch (cause) {
        throw new ChainError('CHAIN_UNAVAILABLE', `JSON-RPC ${method} to the chain failed: ${String(cause)}`, { cause });
      }
      const parsed = responseSchema.safeParse(body);
      if (!parsed.success) {
        throw new ChainError('CHAIN_UNAVAILABLE', `JSON-RPC ${method}: the node sent a malformed response`, {
          cause: parsed.error,
        });
      }
      if ('error' in parsed.data) {
        const { code, message, data } = parsed.data.error;
        throw new JsonRpcResponseError(code, message, data);
      }
      return parsed.data.result;
    },
  };
}
