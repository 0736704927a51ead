import { Interface, Transaction, Wallet, getAddress, getCreateAddress, toQuantity } from 'ethers';
import { z } from 'zod';

import { ANCHOR_ABI, ANCHORED_EVENT_TOPIC } from '../verifier/anchor-abi.js';
import { loadAnchorArtifact } from './anchor-artifact.js';
import { ChainError } from '../verifier/chain-error.js';
import { type Eip1193Provider, asJsonRpcError, httpJsonRpcProvider } from '../verifier/json-rpc.js';

/** Where a checkpoint was anchored: the `anchor` object of an evidence bundle. Hashes are 0x lowercase. */
export interface AnchorRecord {
  readonly chainId: number;
  readonly contract: string;
  readonly txHash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** Block time in seconds since the Unix epoch. */
  readonly blockTimestamp: number;
}

/** What goes on chain for one checkpoint. */
export interface CheckpointAnchor {
  /** The checkpoint's Merkle root, 32 bytes hex. */
  readonly root: string;
  /** The checkpoint's hash, 32 bytes hex. */
  readonly checkpointHash: string;
  /** The checkpoint's sequence number. */
  readonly seq: number;
}

/** A signed anchoring transaction the caller persisted (from `onSent`) before a crash. */
export interface PendingAnchor {
  readonly txHash: string;
  readonly nonce: number;
}

/** Per-call options of anchorCheckpoint. */
export interface AnchorCallOptions {
  /**
   * Called with each transaction's hash and nonce once it is signed and before it is broadcast, so the caller can
   * persist it; if this throws, nothing is broadcast.
   */
  readonly onSent?: (txHash: string, nonce: number) => void | Promise<void>;
  /** A transaction sent before a restart: it is waited for (or re-sent) instead of signing a new one. */
  readonly pending?: PendingAnchor;
}

/** A deployed Anchor contract. */
export interface Deployment {
  readonly contract: string;
  readonly txHash: string;
  readonly blockNumber: number;
}

/** Options of createAnchorClient. Exactly one of `provider` and `rpcUrl`. */
export interface AnchorClientOptions {
  /** An EIP-1193 provider, e.g. the dev chain's or Hardhat's. */
  readonly provider?: Eip1193Provider;
  /** An HTTP JSON-RPC endpoint (ANCHOR_RPC_URL). */
  readonly rpcUrl?: string;
  /** The anchoring account's private key (ANCHOR_PRIVATE_KEY); it must own the contract. */
  readonly privateKey: string;
  /** The Anchor contract's address (ANCHOR_CONTRACT); unset: deployed on first anchoring, see `onDeployed`. */
  readonly contract?: string;
  /** Called once the contract deployed on first use is confirmed, so the caller can remember its address. */
  readonly onDeployed?: (deployment: Deployment) => void | Promise<void>;
  /** First block to search for Anchored logs (the deployment block); default 0. */
  readonly fromBlock?: number;
  /** Blocks a transaction must be buried under, counting its own (ANCHOR_CONFIRMATIONS); default 1. */
  readonly confirmations?: number;
  /** How often to poll for receipts and new blocks; default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** How long a transaction may be unknown to the node before it counts as dropped and is re-sent; default 120 s. */
  readonly dropTimeoutMs?: number;
  /** How long anchorCheckpoint and deploy wait for confirmation before ANCHOR_TIMEOUT; default 10 min. */
  readonly confirmTimeoutMs?: number;
  /** Timeout of each JSON-RPC request; default 30 s. */
  readonly requestTimeoutMs?: number;
}

/** Anchors checkpoints on an EVM chain; idempotent and crash-safe. Errors are ChainErrors. */
export interface AnchorClient {
  /** The anchoring account's address (checksummed). */
  readonly signer: string;
  /** The contract in use (0x lowercase), or undefined until deployed. */
  contract(): string | undefined;
  /** The chain's id. */
  chainId(): Promise<number>;
  /** Deploys a new Anchor contract owned by the signer and starts using it. */
  deploy(): Promise<Deployment>;
  /** Anchors one checkpoint, or returns the existing anchoring of its root; waits for `confirmations`. */
  anchorCheckpoint(checkpoint: CheckpointAnchor, options?: AnchorCallOptions): Promise<AnchorRecord>;
  /** The anchoring of `root` as it is on chain now (unconfirmed included), or null if `root` is not anchored. */
  findAnchor(root: string): Promise<AnchorRecord | null>;
}

const ZERO_HASH = `0x${'0'.repeat(64)}`;
const anchorInterface = new Interface(ANCHOR_ABI);

const hash32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/)
  .transform((s) => s.toLowerCase());
const hexData = z.string().regex(/^0x[0-9a-fA-F]*$/);
const quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]+$/)
  .transform((s) => BigInt(s));
const safeQuantity = quantity.transform((n, ctx) => {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) {
    ctx.addIssue({ code: 'custom', message: 'quantity exceeds Number.MAX_SAFE_INTEGER' });
    return z.NEVER;
  }
  return Number(n);
});
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .transform((s) => s.toLowerCase());
const logSchema = z.object({
  address,
  topics: z.array(hash32),
  data: hexData,
  blockNumber: safeQuantity,
  blockHash: hash32,
  transactionHash: hash32,
  removed: z.boolean().optional(),
});
const receiptSchema = z
  .object({
    transactionHash: hash32,
    blockHash: hash32,
    blockNumber: safeQuantity,
    status: safeQuantity.optional(),
    contractAddress: address.nullish(),
    gasUsed: quantity,
    logs: z.array(logSchema),
  })
  .nullable();
const blockSchema = z
  .object({ hash: hash32, number: safeQuantity, timestamp: safeQuantity, baseFeePerGas: quantity.nullish() })
  .nullable();

type Receipt = NonNullable<z.infer<typeof receiptSchema>>;

interface Sent {
  readonly hash: string;
  readonly nonce: number;
  /** The signed bytes, when this process signed them; a resumed transaction has none. */
  readonly raw: string | undefined;
}

type WaitOutcome =
  | { readonly kind: 'confirmed'; readonly receipt: Receipt; readonly blockTimestamp: number }
  | { readonly kind: 'reverted'; readonly receipt: Receipt }
  | { readonly kind: 'dropped' };

function parseOption<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ChainError('INVALID_ARGUMENT', `${what} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

const nonZeroHash = hash32.refine((h) => h !== ZERO_HASH, 'must not be zero');
const checkpointSchema = z.object({
  root: nonZeroHash,
  checkpointHash: nonZeroHash,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);

/** Creates an AnchorClient; nothing is sent until a method is called. */
export function createAnchorClient(options: Readonly<AnchorClientOptions>): AnchorClient {
  if ((options.provider === undefined) === (options.rpcUrl === undefined)) {
    throw new ChainError('INVALID_ARGUMENT', 'pass exactly one of provider and rpcUrl');
  }
  let wallet: Wallet;
  try {
    wallet = new Wallet(options.privateKey);
  } catch {
    // The key itself must not end up in a message or a cause.
    throw new ChainError('INVALID_ARGUMENT', 'the anchoring private key is not a valid secp256k1 key');
  }
  const confirmations = parseOption(positiveInt, options.confirmations ?? 1, 'confirmations');
  const pollIntervalMs = parseOption(positiveInt, options.pollIntervalMs ?? 1000, 'pollIntervalMs');
  const dropTimeoutMs = parseOption(nonNegativeInt, options.dropTimeoutMs ?? 120_000, 'dropTimeoutMs');
  const confirmTimeoutMs = parseOption(positiveInt, options.confirmTimeoutMs ?? 600_000, 'confirmTimeoutMs');
  const requestTimeoutMs = parseOption(positiveInt, options.requestTimeoutMs ?? 30_000, 'requestTimeoutMs');
  const fromBlock = parseOption(nonNegativeInt, options.fromBlock ?? 0, 'fromBlock');
  let contract = options.contract === undefined ? undefined : parseOption(address, options.contract, 'contract');
  let contractChecked = false;
  let chainIdCache: number | undefined;
  const signerAddress = wallet.address;
  const provider =
    options.provider ?? httpJsonRpcProvider(options.rpcUrl ?? '', { timeoutMs: requestTimeoutMs });

  // The one place transport and node errors become ChainErrors.
  function translate(error: unknown, what: string, details: { txHash?: string; nonce?: number } = {}): ChainError {
    if (error instanceof ChainError) return error;
    const rpcError = asJsonRpcError(error);
    if (rpcError === undefined) {
      return new ChainError('CHAIN_UNAVAILABLE', `${what}: the chain did not answer`, { ...details, cause: error });
    }
    const revertData = typeof rpcError.data === 'string' ? rpcError.data : undefined;
    if (rpcError.code === 3 || revertData !== undefined) {
      const decoded = revertData === undefined ? null : anchorInterface.parseError(revertData);
      return new ChainError('ANCHOR_REFUSED', `${what}: the contract refused (${decoded?.name ?? 'reverted'})`, {
        ...details,
        cause: rpcError,
        ...(decoded === null ? {} : { reason: decoded.name }),
      });
    }
    return new ChainError('CHAIN_ERROR', `${what}: ${rpcError.message}`, { ...details, cause: rpcError });
  }

  async function rpc<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ChainError('CHAIN_UNAVAILABLE', `JSON-RPC ${method} timed out after ${requestTimeoutMs} ms`)),
        requestTimeoutMs,
      );
    });
    let result: unknown;
    try {
      result = await Promise.race([provider.request({ method, params }), timeout]);
    } finally {
      clearTimeout(timer);
    }
    const parsed = schema.safeParse(result);
    if (!parsed.success) {
      throw new ChainError('CHAIN_UNAVAILABLE', `JSON-RPC ${method}: unexpected answer`, { cause: parsed.error });
    }
    return parsed.data;
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  async function chainId(): Promise<number> {
    chainIdCache ??= await rpc('eth_chainId', [], safeQuantity);
    return chainIdCache;
  }

  async function ensureContract(): Promise<string> {
    if (contract === undefined) {
      const deployment = await deployLocked();
      await options.onDeployed?.(deployment);
      return deployment.contract;
    }
    if (!contractChecked) {
      const code = await rpc('eth_getCode', [contract, 'latest'], hexData);
      if (code === '0x') throw new ChainError('CONTRACT_MISSING', `there is no contract at ${contract}`);
      contractChecked = true;
    }
    return contract;
  }

  async function checkpointHashOf(at: string, root: string): Promise<string> {
    const data = anchorInterface.encodeFunctionData('checkpointHashOf', [root]);
    const result = await rpc('eth_call', [{ to: at, data }, 'latest'], hexData);
    const [value] = anchorInterface.decodeFunctionResult('checkpointHashOf', result);
    return parseOption(hash32, value, 'checkpointHashOf result');
  }

  async function blockAt(number: number) {
    return rpc('eth_getBlockByNumber', [toQuantity(number), false], blockSchema);
  }

  async function head(): Promise<number> {
    return rpc('eth_blockNumber', [], safeQuantity);
  }

  async function findAnchorAt(at: string, root: string): Promise<AnchorRecord | null> {
    for (let attempt = 1; ; attempt++) {
      const logs = await rpc(
        'eth_getLogs',
        [{ address: at, topics: [ANCHORED_EVENT_TOPIC, root], fromBlock: toQuantity(fromBlock), toBlock: 'latest' }],
        z.array(logSchema),
      );
      const log = logs.find((l) => l.removed !== true);
      if (log === undefined) return null;
      const block = await blockAt(log.blockNumber);
      if (block?.hash === log.blockHash) {
        return {
          chainId: await chainId(),
          contract: at,
          txHash: log.transactionHash,
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
          blockTimestamp: block.timestamp,
        };
      }
      // The log's block was reorganised away between the two reads: look again, the chain settles quickly.
      if (attempt >= 5) {
        throw new ChainError('CHAIN_UNAVAILABLE', `the chain keeps reorganising the anchoring of ${root}`);
      }
      await sleep(pollIntervalMs);
    }
  }

  async function sign(tx: { to: string | null; data: string }, nonce: number): Promise<Sent> {
    const gasEstimate = await rpc(
      'eth_estimateGas',
      [{ from: signerAddress, ...(tx.to === null ? {} : { to: tx.to }), data: tx.data }],
      quantity,
    );
    const latest = await rpc('eth_getBlockByNumber', ['latest', false], blockSchema);
    const fees =
      latest?.baseFeePerGas === undefined || latest.baseFeePerGas === null
        ? { type: 0, gasPrice: await rpc('eth_gasPrice', [], quantity) }
        : await (async (baseFee: bigint) => {
            const tip = await rpc('eth_maxPriorityFeePerGas', [], quantity).catch(async (error: unknown) => {
              // Not every node has this method: derive the tip from the legacy gas price instead.
              if (asJsonRpcError(error) === undefined) throw error;
              const gasPrice = await rpc('eth_gasPrice', [], quantity);
              return gasPrice > baseFee ? gasPrice - baseFee : 0n;
            });
            // Twice the base fee survives six full blocks of base-fee increases before the tip is squeezed.
            return { type: 2, maxPriorityFeePerGas: tip, maxFeePerGas: baseFee * 2n + tip };
          })(latest.baseFeePerGas);
    const raw = await wallet.signTransaction({
      ...fees,
      chainId: BigInt(await chainId()),
      nonce,
      to: tx.to,
      data: tx.data,
      // A margin over the estimate: the estimate is exact for this state, a busy block may differ slightly.
      gasLimit: gasEstimate + gasEstimate / 5n,
    });
    const hash = Transaction.from(raw).hash;
    if (hash === null) throw new ChainError('CHAIN_ERROR', 'a signed transaction has no hash');
    return { hash: hash.toLowerCase(), nonce, raw };
  }

  async function isKnown(hash: string): Promise<boolean> {
    if ((await rpc('eth_getTransactionReceipt', [hash], receiptSchema)) !== null) return true;
    return (await rpc('eth_getTransactionByHash', [hash], z.object({ hash: hash32 }).nullable())) !== null;
  }

  async function nonceOf(tag: 'latest' | 'pending'): Promise<number> {
    return rpc('eth_getTransactionCount', [signerAddress, tag], safeQuantity);
  }

  /** Broadcasts; false if the nonce was taken by another transaction meanwhile (the caller signs anew). */
  async function broadcast(sent: Sent & { raw: string }): Promise<boolean> {
    try {
      await rpc('eth_sendRawTransaction', [sent.raw], hash32);
      return true;
    } catch (error) {
      // Nodes word "already known" and "nonce too low" differently and share one error code; ask the chain instead.
      if (error instanceof ChainError && error.code === 'CHAIN_UNAVAILABLE') throw error;
      if (await isKnown(sent.hash)) return true;
      if ((await nonceOf('latest')) > sent.nonce) return false;
      throw translate(error, 'sending the transaction', { txHash: sent.hash, nonce: sent.nonce });
    }
  }

  async function waitFor(sent: Sent, deadline: number): Promise<WaitOutcome> {
    let lastSeen = Date.now();
    for (;;) {
      const receipt = await rpc('eth_getTransactionReceipt', [sent.hash], receiptSchema);
      if (receipt !== null) {
        lastSeen = Date.now();
        if (receipt.status === 0) return { kind: 'reverted', receipt };
        if ((await head()) - receipt.blockNumber + 1 >= confirmations) {
          const block = await blockAt(receipt.blockNumber);
          // A receipt from a block that is no longer canonical is a reorg in flight: poll again.
          if (block?.hash === receipt.blockHash) {
            return { kind: 'confirmed', receipt, blockTimestamp: block.timestamp };
          }
        }
      } else if ((await rpc('eth_getTransactionByHash', [sent.hash], z.unknown())) !== null) {
        lastSeen = Date.now();
      } else if (Date.now() - lastSeen >= dropTimeoutMs) {
        return { kind: 'dropped' };
      }
      if (Date.now() >= deadline) {
        throw new ChainError('ANCHOR_TIMEOUT', `transaction ${sent.hash} not confirmed in time`, {
          txHash: sent.hash,
          nonce: sent.nonce,
        });
      }
      await sleep(pollIntervalMs);
    }
  }

  /**
   * Sends `tx` until it is confirmed. Before every (re)send, `settled` says whether the goal was reached some other
   * way (e.g. the root got anchored by an earlier transaction), and if so that answer is returned instead.
   */
  async function transact<T>(
    tx: { to: string | null; data: string },
    settled: () => Promise<T | undefined>,
    call: AnchorCallOptions,
  ): Promise<{ kind: 'settled'; value: T } | { kind: 'confirmed'; receipt: Receipt; blockTimestamp: number }> {
    const deadline = Date.now() + confirmTimeoutMs;
    let sent: Sent | undefined =
      call.pending === undefined
        ? undefined
        : {
            hash: parseOption(hash32, call.pending.txHash, 'pending.txHash'),
            nonce: parseOption(nonNegativeInt, call.pending.nonce, 'pending.nonce'),
            raw: undefined,
          };
    for (;;) {
      if (Date.now() >= deadline) {
        throw new ChainError('ANCHOR_TIMEOUT', 'not confirmed in time', { txHash: sent?.hash, nonce: sent?.nonce });
      }
      const done = await settled();
      if (done !== undefined) return { kind: 'settled', value: done };
      if (sent === undefined || !(await isKnown(sent.hash))) {
        // Dropped, reorganised out, never broadcast, or nothing sent yet: same nonce while it is free.
        const nonce = sent !== undefined && (await nonceOf('latest')) <= sent.nonce ? sent.nonce : await nonceOf('pending');
        const next: Sent = sent?.nonce === nonce && sent.raw !== undefined ? sent : await sign(tx, nonce);
        if (next.raw === undefined) throw new ChainError('CHAIN_ERROR', 'a signed transaction lost its bytes');
        if (next !== sent) await call.onSent?.(next.hash, next.nonce);
        sent = next;
        if (!(await broadcast({ ...next, raw: next.raw }))) {
          sent = undefined;
          continue;
        }
      }
      const outcome = await waitFor(sent, deadline);
      if (outcome.kind === 'confirmed') return outcome;
      if (outcome.kind === 'reverted') {
        const late = await settled();
        if (late !== undefined) return { kind: 'settled', value: late };
        throw new ChainError('ANCHOR_REFUSED', `transaction ${sent.hash} reverted`, {
          txHash: sent.hash,
          nonce: sent.nonce,
        });
      }
    }
  }

  async function deployLocked(): Promise<Deployment> {
    const result = await transact({ to: null, data: loadAnchorArtifact().bytecode }, () => Promise.resolve(undefined), {});
    if (result.kind === 'settled') throw new ChainError('CHAIN_ERROR', 'deployment settled without a receipt');
    const { receipt } = result;
    const tx = await rpc('eth_getTransactionByHash', [receipt.transactionHash], z.object({ nonce: safeQuantity }));
    const deployed = getCreateAddress({ from: signerAddress, nonce: tx.nonce }).toLowerCase();
    if (receipt.contractAddress !== undefined && receipt.contractAddress !== null && receipt.contractAddress !== deployed) {
      throw new ChainError('CHAIN_ERROR', `the node reports contract ${receipt.contractAddress}, expected ${deployed}`);
    }
    contract = deployed;
    contractChecked = true;
    return { contract: deployed, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
  }

  /** An existing anchoring once it is `confirmations` deep, or undefined if it vanished (the caller re-checks). */
  async function confirmedExisting(at: string, root: string, deadline: number): Promise<AnchorRecord | undefined> {
    for (;;) {
      const found = await findAnchorAt(at, root);
      if (found === null) {
        if ((await checkpointHashOf(at, root)) === ZERO_HASH) return undefined;
        throw new ChainError(
          'ANCHOR_LOG_MISSING',
          `root ${root} is anchored but no Anchored log was found from block ${fromBlock}`,
        );
      }
      if ((await head()) - found.blockNumber + 1 >= confirmations) return found;
      if (Date.now() >= deadline) {
        throw new ChainError('ANCHOR_TIMEOUT', `anchoring of ${root} not confirmed in time`, { txHash: found.txHash });
      }
      await sleep(pollIntervalMs);
    }
  }

  // Sends are serialised so that two callers never pick the same nonce.
  let queue: Promise<unknown> = Promise.resolve();
  function serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  }

  async function anchorLocked(checkpoint: CheckpointAnchor, call: AnchorCallOptions): Promise<AnchorRecord> {
    const { root, checkpointHash, seq } = parseOption(checkpointSchema, checkpoint, 'checkpoint');
    const at = await ensureContract();
    const deadline = Date.now() + confirmTimeoutMs;
    const settled = async (): Promise<AnchorRecord | undefined> => {
      for (;;) {
        const anchored = await checkpointHashOf(at, root);
        if (anchored === ZERO_HASH) return undefined;
        if (anchored !== checkpointHash) {
          throw new ChainError(
            'ANCHOR_CONFLICT',
            `root ${root} is already anchored with checkpoint hash ${anchored}, not ${checkpointHash}`,
          );
        }
        const existing = await confirmedExisting(at, root, deadline);
        if (existing !== undefined) return existing;
      }
    };
    const data = anchorInterface.encodeFunctionData('anchor', [root, checkpointHash, seq]);
    const result = await transact({ to: at, data }, settled, call);
    if (result.kind === 'settled') return result.value;
    const { receipt, blockTimestamp } = result;
    const emitted = receipt.logs.some(
      (l) => l.address === at && l.topics[0] === ANCHORED_EVENT_TOPIC && l.topics[1] === root,
    );
    if (!emitted) {
      throw new ChainError('ANCHOR_LOG_MISSING', `transaction ${receipt.transactionHash} emitted no Anchored log`, {
        txHash: receipt.transactionHash,
      });
    }
    return {
      chainId: await chainId(),
      contract: at,
      txHash: receipt.transactionHash,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      blockTimestamp,
    };
  }

  return {
    signer: getAddress(signerAddress),
    contract: () => contract,
    chainId: () => chainId().catch((error: unknown) => Promise.reject(translate(error, 'reading the chain id'))),
    deploy: () =>
      serialised(deployLocked).catch((error: unknown) => Promise.reject(translate(error, 'deploying the contract'))),
    anchorCheckpoint: (checkpoint, call = {}) =>
      serialised(() => anchorLocked(checkpoint, call)).catch((error: unknown) =>
        Promise.reject(translate(error, 'anchoring a checkpoint')),
      ),
    findAnchor: async (root) => {
      const parsedRoot = parseOption(nonZeroHash, root, 'root');
      try {
        if (contract === undefined) return null;
        const at = await ensureContract();
        if ((await checkpointHashOf(at, parsedRoot)) === ZERO_HASH) return null;
        return await findAnchorAt(at, parsedRoot);
      } catch (error) {
        throw translate(error, 'looking up an anchoring');
      }
    },
  };
}
