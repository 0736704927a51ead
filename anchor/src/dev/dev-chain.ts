import { type FileHandle, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transaction } from 'ethers';
import { z } from 'zod';

import { anchorPackagePath } from '../chain/anchor-artifact.js';
import { ChainError } from '../verifier/chain-error.js';
import { type Eip1193Provider, JsonRpcResponseError } from '../verifier/json-rpc.js';
import { READ_ONLY_METHODS, type ReadOnlyRpcServer, serveReadOnlyJsonRpc } from './read-only-rpc-server.js';

/** The dev chain's chain id (Hardhat's). */
export const DEV_CHAIN_ID = 31337;

/** The default ANCHOR_DEV_RPC_PORT. */
export const DEFAULT_DEV_RPC_PORT = 8545;

/**
 * Hardhat's account #0, from the public "test test ... junk" mnemonic: funded on the dev chain and on `hardhat node`.
 * Everyone knows this key; it is for local chains only.
 */
export const DEV_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** Options of openDevChain. */
export interface DevChainOptions {
  /** Directory of the chain's journal (e.g. DATA_DIR/chain); created if missing. */
  readonly dir: string;
  /** Loopback port of the read-only JSON-RPC server (ANCHOR_DEV_RPC_PORT); 0 picks a free one; null serves none. */
  readonly port?: number | null;
  /** Loopback host of that server; default 127.0.0.1. */
  readonly host?: string;
  /** Private keys funded at genesis; default [DEV_PRIVATE_KEY]. Changing them changes the genesis block. */
  readonly fundedKeys?: readonly string[];
  /** Clock for block timestamps, in ms since the epoch; default Date.now. */
  readonly now?: () => number;
}

/** An in-process EVM chain whose blocks survive a restart. */
export interface DevChain {
  readonly chainId: number;
  /** EIP-1193 provider: reads, plus eth_sendRawTransaction and evm_mine, each mined and journalled as one block. */
  readonly provider: Eip1193Provider;
  /** The read-only JSON-RPC endpoint, or undefined when `port` was null. */
  readonly rpcUrl: string | undefined;
  /** Blocks replayed from the journal when the chain was opened. */
  readonly replayedBlocks: number;
  /** Stops the server and the chain; the journal stays for the next open. */
  close(): Promise<void>;
}

const JOURNAL_FORMAT = 'wr-dev-chain/1';
const JOURNAL_FILE = 'chain.jsonl';
const LOCK_FILE = 'chain.lock';

/*
 * Fixed settings: the genesis block and every block after it depend on them, so a journal replays to identical
 * block hashes only if they never change. Hardfork pinned rather than Hardhat's default, which moves with releases.
 */
const HARDFORK = 'prague';
const INITIAL_DATE = '2025-01-01T00:00:00Z';
const INITIAL_BASE_FEE = 1_000_000_000;
const BLOCK_GAS_LIMIT = 30_000_000;
const FUNDING_WEI = 10n ** 22n;

const hash32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const genesisLine = z.strictObject({
  kind: z.literal('genesis'),
  format: z.literal(JOURNAL_FORMAT),
  chainId: z.number().int(),
  hardfork: z.string(),
  genesisHash: hash32,
});
const blockLine = z.strictObject({
  kind: z.literal('block'),
  number: z.number().int().positive(),
  timestamp: z.number().int().nonnegative(),
  hash: hash32,
  // One transaction per block: that is how the dev chain mines, and replay mirrors it.
  txs: z.array(z.string().regex(/^0x[0-9a-f]+$/)).max(1),
});
type BlockLine = z.infer<typeof blockLine>;

const quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]+$/)
  .transform((s) => Number.parseInt(s, 16));
const blockSchema = z.object({
  hash: hash32,
  number: quantity,
  timestamp: quantity,
  transactions: z.array(hash32),
});

interface HardhatConnection {
  readonly provider: Eip1193Provider;
  close(): Promise<void>;
}

async function connectEdr(fundedKeys: readonly string[]): Promise<HardhatConnection> {
  // Loaded on demand: Hardhat is heavy, and only the embedded default needs it.
  const { createHardhatRuntimeEnvironment } = await import('hardhat/hre');
  const hre = await createHardhatRuntimeEnvironment(
    {
      networks: {
        devChain: {
          type: 'edr-simulated',
          chainId: DEV_CHAIN_ID,
          hardfork: HARDFORK,
          initialDate: INITIAL_DATE,
          initialBaseFeePerGas: INITIAL_BASE_FEE,
          blockGasLimit: BLOCK_GAS_LIMIT,
          accounts: fundedKeys.map((privateKey) => ({ privateKey, balance: FUNDING_WEI })),
          mining: { auto: true },
          // Like a real node: a reverted transaction is mined and reported by its receipt, not thrown.
          throwOnTransactionFailures: false,
          throwOnCallFailures: true,
          allowBlocksWithSameTimestamp: false,
        },
      },
    },
    {},
    anchorPackagePath('.'),
  );
  return hre.network.connect({ network: 'devChain' });
}

async function readBlock(provider: Eip1193Provider, tag: string) {
  return blockSchema.parse(await provider.request({ method: 'eth_getBlockByNumber', params: [tag, false] }));
}

async function blockNumber(provider: Eip1193Provider): Promise<number> {
  return quantity.parse(await provider.request({ method: 'eth_blockNumber', params: [] }));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

async function acquireLock(dir: string): Promise<string> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return path;
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
      const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new ChainError('DEV_CHAIN_LOCKED', `the dev chain in ${dir} is open in process ${pid}`);
      }
      // The holder died without closing: its lock is stale.
      await rm(path, { force: true });
    }
  }
  throw new ChainError('DEV_CHAIN_LOCKED', `cannot lock the dev chain in ${dir}`);
}

/** Reads the journal, cutting a torn last line (a crash mid-append) off the file itself. */
async function readJournal(path: string): Promise<{ genesis: z.infer<typeof genesisLine> | undefined; blocks: BlockLine[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { genesis: undefined, blocks: [] };
    throw error;
  }
  const complete = text.lastIndexOf('\n') + 1;
  if (complete < text.length) {
    const handle = await open(path, 'r+');
    try {
      await handle.truncate(Buffer.byteLength(text.slice(0, complete)));
      await handle.sync();
    } finally {
      await handle.close();
    }
    text = text.slice(0, complete);
  }
  const lines = text.split('\n').slice(0, -1);
  const [first, ...rest] = lines;
  if (first === undefined) return { genesis: undefined, blocks: [] };
  const parseLine = <T>(schema: z.ZodType<T>, line: string, index: number): T => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (cause) {
      throw new ChainError('DEV_CHAIN_CORRUPT', `${path} line ${index + 1} is not JSON`, { cause });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ChainError('DEV_CHAIN_CORRUPT', `${path} line ${index + 1}: ${parsed.error.message}`);
    }
    return parsed.data;
  };
  const genesis = parseLine(genesisLine, first, 0);
  const blocks = rest.map((line, i) => parseLine(blockLine, line, i + 1));
  blocks.forEach((block, i) => {
    if (block.number !== i + 1) {
      throw new ChainError('DEV_CHAIN_CORRUPT', `${path} line ${i + 2} holds block ${block.number}, expected ${i + 1}`);
    }
  });
  return { genesis, blocks };
}

async function appendLine(handle: FileHandle, line: object): Promise<void> {
  await handle.appendFile(`${JSON.stringify(line)}\n`, 'utf8');
  // A block the caller has seen must survive a power cut: its tx hash may already be in an evidence bundle.
  await handle.sync();
}

/** Makes a newly created journal's directory entry durable, where the platform allows it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Windows cannot open or fsync a directory; there the file's own fsync is all we get.
    if (process.platform !== 'win32') throw error;
  } finally {
    await handle?.close();
  }
}

async function replay(provider: Eip1193Provider, blocks: readonly BlockLine[], path: string): Promise<void> {
  for (const block of blocks) {
    await provider.request({ method: 'evm_setNextBlockTimestamp', params: [block.timestamp] });
    const [raw] = block.txs;
    if (raw === undefined) await provider.request({ method: 'evm_mine', params: [] });
    else await provider.request({ method: 'eth_sendRawTransaction', params: [raw] });
    const mined = await readBlock(provider, 'latest');
    if (mined.number !== block.number || mined.hash !== block.hash) {
      throw new ChainError(
        'DEV_CHAIN_DIVERGED',
        `replaying ${path}: block ${block.number} came out as block ${mined.number} with hash ${mined.hash}, ` +
          `the journal says ${block.hash}. The dev chain cannot be reproduced (a changed Hardhat/EDR version or ` +
          `funded keys?); keep the journal as evidence and start a new one in an empty directory.`,
      );
    }
  }
}

/** Opens (or creates) the embedded dev chain in `dir`, replaying its journal, and serves read-only RPC. */
export async function openDevChain(options: Readonly<DevChainOptions>): Promise<DevChain> {
  const port = options.port === undefined ? DEFAULT_DEV_RPC_PORT : options.port;
  const now = options.now ?? Date.now;
  const fundedKeys = options.fundedKeys ?? [DEV_PRIVATE_KEY];
  await mkdir(options.dir, { recursive: true });
  const lockPath = await acquireLock(options.dir);
  const journalPath = join(options.dir, JOURNAL_FILE);
  let connection: HardhatConnection | undefined;
  let journal: FileHandle | undefined;
  let server: ReadOnlyRpcServer | undefined;
  const release = async () => {
    await server?.close();
    await connection?.close();
    await journal?.close();
    await rm(lockPath, { force: true });
  };
  try {
    const { genesis, blocks } = await readJournal(journalPath);
    connection = await connectEdr(fundedKeys);
    const inner = connection.provider;
    const genesisBlock = await readBlock(inner, '0x0');
    if (genesis !== undefined && (genesis.genesisHash !== genesisBlock.hash || genesis.chainId !== DEV_CHAIN_ID)) {
      throw new ChainError(
        'DEV_CHAIN_DIVERGED',
        `${journalPath} starts from genesis ${genesis.genesisHash} on chain ${genesis.chainId}, this dev chain's ` +
          `genesis is ${genesisBlock.hash} on chain ${DEV_CHAIN_ID} (different funded keys or Hardhat/EDR version?)`,
      );
    }
    await replay(inner, blocks, journalPath);
    journal = await open(journalPath, 'a');
    if (genesis === undefined) {
      await appendLine(journal, {
        kind: 'genesis',
        format: JOURNAL_FORMAT,
        chainId: DEV_CHAIN_ID,
        hardfork: HARDFORK,
        genesisHash: genesisBlock.hash,
      });
      await syncDirectory(options.dir);
    }
    const provider = recordingProvider(inner, journal, blocks.at(-1)?.timestamp ?? genesisBlock.timestamp, now);
    if (port !== null) {
      server = await serveReadOnlyJsonRpc({ provider, port, ...(options.host === undefined ? {} : { host: options.host }) });
    }
    let closed: Promise<void> | undefined;
    return {
      chainId: DEV_CHAIN_ID,
      provider: {
        request: (args) =>
          closed === undefined
            ? provider.request(args)
            : Promise.reject(new ChainError('DEV_CHAIN_CLOSED', 'the dev chain is closed')),
      },
      rpcUrl: server?.url,
      replayedBlocks: blocks.length,
      close: () => (closed ??= release()),
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Wraps EDR so that every block it mines is journalled, and nothing unjournalled can change the chain. */
function recordingProvider(
  inner: Eip1193Provider,
  journal: FileHandle,
  lastTimestamp: number,
  now: () => number,
): Eip1193Provider {
  let queue: Promise<unknown> = Promise.resolve();
  let broken: ChainError | undefined;

  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  const mineOne = async (raw: string | undefined, request: () => Promise<unknown>): Promise<unknown> => {
    if (broken !== undefined) throw broken;
    const before = await blockNumber(inner);
    // Block times follow the wall clock but never stand still, and are recorded so replay sets the same ones.
    const timestamp = Math.max(Math.floor(now() / 1000), lastTimestamp + 1);
    await inner.request({ method: 'evm_setNextBlockTimestamp', params: [timestamp] });
    let result: unknown;
    let failure: unknown;
    let failed = false;
    try {
      result = await request();
    } catch (error) {
      failure = error;
      failed = true;
    }
    const after = await blockNumber(inner);
    if (after === before) {
      if (failed) throw failure;
      broken = new ChainError('DEV_CHAIN_CORRUPT', 'a transaction was accepted but not mined; automining is off?');
      throw broken;
    }
    try {
      const block = await readBlock(inner, 'latest');
      const expected = raw === undefined ? [] : [Transaction.from(raw).hash];
      if (after !== before + 1 || block.number !== after || block.transactions.join() !== expected.join()) {
        throw new ChainError('DEV_CHAIN_CORRUPT', `expected one block with ${expected.join() || 'no transaction'}`);
      }
      await appendLine(journal, {
        kind: 'block',
        number: block.number,
        timestamp: block.timestamp,
        hash: block.hash,
        txs: raw === undefined ? [] : [raw.toLowerCase()],
      });
      lastTimestamp = block.timestamp;
    } catch (cause) {
      // The chain in memory is now ahead of its journal: accepting more writes would lose them on restart.
      broken = new ChainError('DEV_CHAIN_CORRUPT', 'a mined block could not be journalled; reopen the dev chain', {
        cause,
      });
      throw broken;
    }
    if (failed) throw failure;
    return result;
  };

  return {
    request: ({ method, params }) => {
      const list: readonly unknown[] = Array.isArray(params) ? params : [];
      if (method === 'eth_sendRawTransaction') {
        const [raw] = list;
        if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]+$/.test(raw)) {
          return Promise.reject(new JsonRpcResponseError(-32602, 'eth_sendRawTransaction expects one hex string'));
        }
        try {
          Transaction.from(raw);
        } catch {
          return Promise.reject(new JsonRpcResponseError(-32602, 'eth_sendRawTransaction: not a signed transaction'));
        }
        return serialised(() => mineOne(raw, () => inner.request({ method, params: [raw] })));
      }
      if (method === 'evm_mine') {
        if (list.length > 0) {
          return Promise.reject(new JsonRpcResponseError(-32602, 'evm_mine takes no timestamp on the dev chain'));
        }
        return serialised(() => mineOne(undefined, () => inner.request({ method, params: [] })));
      }
      if (READ_ONLY_METHODS.has(method)) return inner.request({ method, params: params ?? [] });
      return Promise.reject(
        new JsonRpcResponseError(4200, `${method} is not supported by the dev chain: its writes could not be replayed`),
      );
    },
  };
}
