import { Interface } from 'ethers';
import { z } from 'zod';
import type { Anchor } from './bundle.js';
import { ANCHOR_ABI, ANCHORED_EVENT_TOPIC } from './anchor-abi.js';
import { isChainError } from './chain-error.js';
import type { Eip1193Provider } from './json-rpc.js';
import type { Checkpoint } from './checkpoint.js';
import { describeIssues } from './schemas.js';

const anchorInterface = new Interface(ANCHOR_ABI);

/** Sends one JSON-RPC request and resolves to its `result`; rejects with RpcError. */
export type RpcSend = (method: string, params: readonly unknown[]) => Promise<unknown>;

/** Why talking to the chain failed, as opposed to the chain contradicting the bundle. */
export type RpcErrorCode = 'RPC_UNAVAILABLE' | 'RPC_ERROR' | 'RPC_RESPONSE_MALFORMED';

/** A JSON-RPC call failed: unreachable or timed out, an error response, or a response of the wrong shape. */
export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RpcError';
  }
}

/** What ethers' JSON-RPC providers (JsonRpcProvider, BrowserProvider) offer besides EIP-1193's `request`. */
export interface JsonRpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/** An RpcSend over an EIP-1193 provider or an ethers JSON-RPC provider, each call bounded by `timeoutMs`. */
export function rpcSend(provider: Eip1193Provider | JsonRpcSender, timeoutMs: number): RpcSend {
  return async (method, params) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RpcError('RPC_UNAVAILABLE', `${method}: no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const request = 'request' in provider ? provider.request({ method, params: [...params] }) : provider.send(method, [...params]);
      return await Promise.race([request, timeout]);
    } catch (error) {
      if (error instanceof RpcError) throw error;
      const code = isChainError(error, 'CHAIN_UNAVAILABLE') ? 'RPC_UNAVAILABLE' : 'RPC_ERROR';
      throw new RpcError(code, `${method}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
}

const quantity = z.string().regex(/^0x[0-9a-fA-F]+$/).transform((value) => BigInt(value));
const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/).transform((value) => value.toLowerCase());
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((value) => value.toLowerCase());
const receiptSchema = z.object({
  transactionHash: hash32,
  status: quantity,
  blockNumber: quantity,
  blockHash: hash32,
  logs: z.array(z.object({ address, topics: z.array(hash32), data: z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/), removed: z.boolean().optional() })),
});
const blockSchema = z.object({ hash: hash32, number: quantity, timestamp: quantity });

async function call<T>(send: RpcSend, schema: z.ZodType<T>, method: string, params: readonly unknown[]): Promise<T> {
  const parsed = schema.safeParse(await send(method, params));
  if (!parsed.success) throw new RpcError('RPC_RESPONSE_MALFORMED', `${method}: ${describeIssues(parsed.error, 2)}`);
  return parsed.data;
}

function describeAnchored(log: { topics: string[]; data: string }): string {
  try {
    const event = anchorInterface.parseLog(log);
    return event === null ? 'an undecodable log' : `Anchored(${String(event.args[0])}, ${String(event.args[1])}, ${String(event.args[2])})`;
  } catch (error) {
    // ethers throws on data that does not decode as the event's fields; such a log simply carries no anchor.
    return `an undecodable log (${error instanceof Error ? error.message.slice(0, 80) : 'decode error'})`;
  }
}

/** Why the chain contradicts the bundle's anchor; stable codes, append-only. */
export type AnchorFailure =
  | 'CHAIN_ID_MISMATCH'
  | 'TX_NOT_FOUND'
  | 'TX_FAILED'
  | 'BLOCK_NUMBER_MISMATCH'
  | 'BLOCK_HASH_MISMATCH'
  | 'BLOCK_TIMESTAMP_MISMATCH'
  | 'EVENT_NOT_FOUND'
  | 'EVENT_MISMATCH';

/** The outcome of checking an anchor against a chain; rejects only with RpcError. */
export type AnchorCheck = { ok: true; detail: string } | { ok: false; reason: AnchorFailure; detail: string };

/**
 * Checks that transaction `txHash` on chain `chainId` succeeded in block `blockNumber`/`blockHash` at
 * `blockTimestamp`, and that `contract` emitted Anchored(checkpoint.root, checkpoint.hash, checkpoint.seq) in it. The
 * log's emitter is what counts, not the transaction's `to`: a multisig or relayer may call the contract.
 */
export async function checkAnchor(send: RpcSend, checkpoint: Checkpoint, anchor: Anchor): Promise<AnchorCheck> {
  const fail = (reason: AnchorFailure, detail: string): AnchorCheck => ({ ok: false, reason, detail });
  const chainId = await call(send, quantity, 'eth_chainId', []);
  if (chainId !== BigInt(anchor.chainId)) return fail('CHAIN_ID_MISMATCH', `the RPC serves chain ${chainId}, the bundle names chain ${anchor.chainId}`);
  const receipt = await call(send, receiptSchema.nullable(), 'eth_getTransactionReceipt', [anchor.txHash]);
  if (receipt === null || receipt.transactionHash !== anchor.txHash) return fail('TX_NOT_FOUND', `no receipt for transaction ${anchor.txHash} on chain ${chainId}`);
  if (receipt.status !== 1n) return fail('TX_FAILED', `transaction ${anchor.txHash} reverted (status ${receipt.status})`);
  if (receipt.blockNumber !== BigInt(anchor.blockNumber)) {
    return fail('BLOCK_NUMBER_MISMATCH', `transaction is in block ${receipt.blockNumber}, the bundle says ${anchor.blockNumber}`);
  }
  if (receipt.blockHash !== anchor.blockHash) return fail('BLOCK_HASH_MISMATCH', `transaction is in block ${receipt.blockHash}, the bundle says ${anchor.blockHash}`);
  const block = await call(send, blockSchema.nullable(), 'eth_getBlockByHash', [anchor.blockHash, false]);
  if (block === null || block.hash !== anchor.blockHash || block.number !== receipt.blockNumber) {
    throw new RpcError('RPC_RESPONSE_MALFORMED', 'eth_getBlockByHash: the block of the receipt is missing or differs');
  }
  if (block.timestamp !== BigInt(anchor.blockTimestamp)) {
    return fail('BLOCK_TIMESTAMP_MISMATCH', `block ${block.number} has timestamp ${block.timestamp}, the bundle says ${anchor.blockTimestamp}`);
  }

  const contract = anchor.contract.toLowerCase();
  const anchored = receipt.logs.filter((log) => log.removed !== true && log.address === contract && log.topics[0] === ANCHORED_EVENT_TOPIC);
  if (anchored.length === 0) return fail('EVENT_NOT_FOUND', `transaction ${anchor.txHash} has no Anchored log from contract ${contract}`);
  const carried = anchored.map(describeAnchored);
  const wanted = `Anchored(${checkpoint.root}, ${checkpoint.hash}, ${checkpoint.seq})`;
  if (!carried.includes(wanted)) return fail('EVENT_MISMATCH', `contract ${contract} logged ${carried.join(', ')}; the bundle needs ${wanted}`);

  const head = await call(send, quantity, 'eth_blockNumber', []);
  const when = new Date(anchor.blockTimestamp * 1000).toISOString();
  return { ok: true, detail: `${wanted} emitted by ${contract} in block ${block.number} at ${when}, ${head - block.number + 1n} confirmation(s) on chain ${chainId}` };
}
