import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { LedgerError, parseChaincodeError } from '../errors.js';
import type { Identity, LedgerEvent, LedgerPort, SubmitOptions, SubmitResult } from '../port.js';
import { BlockStore, type Block, type ChannelConfig, type TransactionRecord, type ValidationCode } from './block-store.js';
import { ChaincodeRuntime, loadReceiptContracts, type ExecutionResult } from './chaincode-runtime.js';
import { compareKeys } from './key-order.js';
import { MembershipRegistry } from './msp.js';
import { createSignedProposal, verifyProposal, type SignedProposal, type VerifiedProposal } from './proposal.js';
import { ReadWriteLock } from './rw-lock.js';
import { TxSimulator, type RangeRead, type ReadWriteSet } from './simulator.js';
import { sameVersion, WorldState, type Version, type WriteSet } from './world-state.js';

/** Fabric's chaincode response status threshold: at or above it the proposal failed endorsement. */
const ERROR_STATUS = 400;

export interface EmbeddedLedgerOptions {
  /** Folder of the block log (created if absent). */
  readonly dataDir: string;
  /** Contract classes to run; by default this registry's chaincode (`contracts` of `@wr/chaincode`). */
  readonly contracts?: readonly unknown[];
  /** Organisations of the channel and their root CAs; fixed in block 0 when the ledger is created. */
  readonly orgs: readonly { readonly mspId: string; readonly rootCertificate: string }[];
  readonly channelId?: string;
  readonly chaincodeName?: string;
  readonly chaincodeVersion?: string;
  /** Most transactions the orderer cuts into one block. */
  readonly maxBlockTransactions?: number;
}

interface Endorsed {
  readonly proposal: VerifiedProposal;
  readonly execution: ExecutionResult;
  readonly rwset: ReadWriteSet;
  readonly resolve: (result: SubmitResult) => void;
  readonly reject: (error: Error) => void;
}

/** Height and current block hash, as Fabric's GetChainInfo reports them. */
export interface ChainInfo {
  readonly height: number;
  readonly currentBlockHash: string;
}

/**
 * A single-process ledger with Fabric's semantics, running the unmodified chaincode the way a peer does:
 * proposals are signed by X.509 identities and verified against the channel's CAs; the chaincode is driven over
 * fabric-shim's message protocol against a simulator (no read-your-writes); transactions are ordered into blocks,
 * validated with MVCC and phantom checks, appended to a hash-chained block log and only then applied.
 */
export class EmbeddedLedger implements LedgerPort {
  private readonly queue: Endorsed[] = [];
  private readonly txIds = new Set<string>();
  private readonly blockEvents: LedgerEvent[][] = [];
  private readonly lock = new ReadWriteLock();
  private readonly waiters = new Set<() => void>();
  private committing: Promise<void> | undefined;
  private failure: LedgerError | undefined;
  private closed = false;

  private constructor(
    private readonly config: ChannelConfig,
    private readonly state: WorldState,
    private readonly store: BlockStore,
    private readonly runtime: ChaincodeRuntime,
    private readonly membership: MembershipRegistry,
    private readonly maxBlockTransactions: number,
    committedTxIds: Iterable<string>,
    blockEvents: LedgerEvent[][],
  ) {
    for (const txId of committedTxIds) this.txIds.add(txId);
    this.blockEvents = blockEvents;
  }

  /** Opens (or creates) the ledger under `options.dataDir`, replaying its block log into state. */
  static async open(options: EmbeddedLedgerOptions): Promise<EmbeddedLedger> {
    const channelId = options.channelId ?? 'receipts';
    const chaincodeName = options.chaincodeName ?? 'receipts';
    const state = new WorldState();
    const txIds: string[] = [];
    const blockEvents: LedgerEvent[][] = [];
    let config: ChannelConfig | undefined;

    const store = await BlockStore.open(join(options.dataDir, 'blocks.jsonl'), (block) => {
      if ('config' in block.data) {
        config = block.data.config;
        blockEvents.push([]);
        return;
      }
      const events: LedgerEvent[] = [];
      block.data.transactions.forEach((tx, txIndex) => {
        txIds.push(tx.txId);
        if (block.metadata.validationCodes[txIndex] !== 'VALID') return;
        const version = { blockNumber: block.header.number, txNumber: txIndex };
        state.apply(writeSetOf(tx), version, tx.txId, new Date(tx.timestamp));
        if (tx.event) events.push(eventOf(block.header.number, txIndex, tx));
      });
      blockEvents.push(events);
    });

    const wanted: ChannelConfig = {
      channelId,
      chaincode: chaincodeName,
      orgs: options.orgs.map(({ mspId, rootCertificate }) => ({ mspId, rootCertificate })),
    };
    if (config === undefined) {
      config = wanted;
      const data = { config };
      await store.append({ header: store.header(data), data, metadata: { validationCodes: [], signatures: [] } });
      blockEvents.push([]);
    } else if (!sameConfig(config, wanted)) {
      await store.close();
      throw new LedgerError(
        `the ledger in ${options.dataDir} was created for channel ${config.channelId} with organisations ` +
          `${config.orgs.map((org) => org.mspId).join(', ')} and their CAs; it cannot be opened with another configuration`,
        { code: 'LEDGER_UNAVAILABLE' },
      );
    }

    const contracts = options.contracts ?? (await loadReceiptContracts());
    const runtime = await ChaincodeRuntime.start(contracts, chaincodeName, options.chaincodeVersion ?? '0.0.0');
    return new EmbeddedLedger(
      config,
      state,
      store,
      runtime,
      new MembershipRegistry(config.orgs),
      options.maxBlockTransactions ?? 500,
      txIds,
      blockEvents,
    );
  }

  async submit(identity: Identity, txName: string, args: readonly string[], options: SubmitOptions = {}): Promise<SubmitResult> {
    this.assertOpen();
    const signed = this.sign(identity, txName, args, options);
    if (this.txIds.has(signed.txId)) {
      throw new LedgerError(`transaction ${signed.txId} was already submitted`, { code: 'DUPLICATE_TRANSACTION', txId: signed.txId });
    }
    this.txIds.add(signed.txId);
    const { proposal, execution, rwset } = await this.endorse(signed);
    if (execution.response.status >= ERROR_STATUS) {
      // Endorsement failed: nothing is ordered, so the id may be used again.
      this.txIds.delete(signed.txId);
      throw parseChaincodeError(execution.response.message, signed.txId);
    }
    if (rwset.paginated && (rwset.writes.size > 0 || rwset.metadataWrites.size > 0)) {
      this.txIds.delete(signed.txId);
      throw new LedgerError('a transaction with paginated queries cannot update the ledger', { code: 'CHAINCODE_ERROR', txId: signed.txId });
    }
    return new Promise<SubmitResult>((resolve, reject) => {
      this.queue.push({ proposal, execution, rwset, resolve, reject });
      this.committing ??= this.commitQueued().finally(() => (this.committing = undefined));
    });
  }

  async evaluate(identity: Identity, txName: string, args: readonly string[]): Promise<Uint8Array> {
    this.assertOpen();
    const { execution } = await this.endorse(this.sign(identity, txName, args, {}));
    if (execution.response.status >= ERROR_STATUS) throw parseChaincodeError(execution.response.message, undefined);
    return execution.response.payload;
  }

  async *events(fromBlock: bigint, signal?: AbortSignal): AsyncIterable<LedgerEvent> {
    let next = Number(fromBlock);
    while (!signal?.aborted) {
      while (next < this.blockEvents.length) {
        for (const event of this.blockEvents[next] ?? []) yield event;
        next++;
      }
      if (this.closed) return;
      await this.nextBlock(signal);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committing;
    this.runtime.close();
    await this.store.close();
    for (const wake of this.waiters) wake();
  }

  /** Block height and the hash of the last block. */
  chainInfo(): ChainInfo {
    return { height: this.store.height, currentBlockHash: this.store.currentHash };
  }

  height(): Promise<number> {
    return Promise.resolve(this.store.height);
  }

  /** A digest of the whole world state (keys, values, versions and metadata, in key order). */
  stateHash(): string {
    const hash = createHash('sha256');
    for (const [key, entry] of this.state.range('', '')) {
      hash.update(JSON.stringify([key, Buffer.from(entry.value).toString('base64'), entry.version.blockNumber, entry.version.txNumber]));
      for (const [name, value] of [...entry.metadata].sort(([a], [b]) => compareKeys(a, b))) {
        hash.update(JSON.stringify([name, Buffer.from(value).toString('base64')]));
      }
    }
    return hash.digest('hex');
  }

  /** A key's state-based endorsement policy (`SignaturePolicyEnvelope` bytes), if the chaincode set one. */
  validationParameter(key: string): Uint8Array | undefined {
    return this.state.get(key)?.metadata.get('VALIDATION_PARAMETER');
  }

  private sign(identity: Identity, txName: string, args: readonly string[], options: SubmitOptions): SignedProposal {
    return createSignedProposal({
      identity,
      channelId: this.config.channelId,
      chaincodeName: this.config.chaincode,
      args: [txName, ...args],
      timestamp: options.timestamp ?? new Date(),
      nonce: options.nonce,
    });
  }

  private async endorse(signed: SignedProposal): Promise<{ proposal: VerifiedProposal; execution: ExecutionResult; rwset: ReadWriteSet }> {
    let proposal: VerifiedProposal;
    try {
      proposal = verifyProposal(signed, { channelId: this.config.channelId, chaincodeName: this.config.chaincode }, this.membership);
    } catch (error) {
      this.txIds.delete(signed.txId);
      throw error;
    }
    const simulator = new TxSimulator(this.state);
    try {
      const execution = await this.lock.read(() =>
        this.runtime.execute(proposal.channelId, proposal.txId, proposal.input, proposal.signedProposal, simulator),
      );
      return { proposal, execution, rwset: simulator.readWriteSet() };
    } catch (error) {
      this.txIds.delete(signed.txId);
      throw error;
    }
  }

  /** The orderer and committer: cuts what is queued into blocks, validates, persists, then applies. */
  private async commitQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBlockTransactions);
      if (this.failure) {
        for (const tx of batch) tx.reject(this.failure);
        continue;
      }
      await this.commitBlock(batch);
    }
  }

  private async commitBlock(batch: readonly Endorsed[]): Promise<void> {
    const number = this.store.height;
    const codes = this.validate(batch, number);
    const transactions = batch.map((tx) => transactionRecord(tx));
    const data = { transactions };
    const block: Block = {
      header: this.store.header(data),
      data,
      metadata: {
        validationCodes: codes,
        signatures: batch.map((tx) => Buffer.from(tx.proposal.signature).toString('base64')),
      },
    };
    try {
      await this.store.append(block);
    } catch (cause) {
      // The log's tail is now unknown: stop, so that nothing is acknowledged that a restart would not replay.
      this.failure = new LedgerError('the block log could not be written; the ledger stopped', { code: 'LEDGER_UNAVAILABLE', cause });
      for (const tx of batch) tx.reject(this.failure);
      return;
    }

    const events: LedgerEvent[] = [];
    await this.lock.write(() => {
      batch.forEach((tx, txIndex) => {
        if (codes[txIndex] !== 'VALID') return;
        this.state.apply(tx.rwset, { blockNumber: number, txNumber: txIndex }, tx.proposal.txId, tx.proposal.timestamp);
        const record = transactions[txIndex];
        if (record?.event) events.push(eventOf(number, txIndex, record));
      });
    });
    this.blockEvents.push(events);
    for (const wake of this.waiters) wake();

    batch.forEach((tx, txIndex) => {
      const code = codes[txIndex] ?? 'VALID';
      const txId = tx.proposal.txId;
      if (code === 'VALID') tx.resolve({ txId, blockNumber: BigInt(number), result: tx.execution.response.payload });
      else tx.reject(new LedgerError(`transaction ${txId} was invalidated: ${code}`, { code, txId }));
    });
  }

  /** MVCC validation in block order, each transaction seeing the writes of the valid ones before it. */
  private validate(batch: readonly Endorsed[], blockNumber: number): ValidationCode[] {
    const updates = new Map<string, Version | null>();
    const versionOf = (key: string): Version | undefined => {
      const updated = updates.get(key);
      return updated === undefined ? this.state.get(key)?.version : (updated ?? undefined);
    };
    return batch.map((tx, txNumber) => {
      for (const [key, version] of tx.rwset.reads) {
        if (!sameVersion(versionOf(key), version ?? undefined)) return 'MVCC_READ_CONFLICT';
      }
      for (const range of tx.rwset.ranges) {
        if (!this.rangeUnchanged(range, updates)) return 'PHANTOM_READ_CONFLICT';
      }
      const version = { blockNumber, txNumber };
      for (const [key, value] of tx.rwset.writes) updates.set(key, value === null ? null : version);
      for (const key of tx.rwset.metadataWrites.keys()) if (!tx.rwset.writes.has(key)) updates.set(key, version);
      return 'VALID';
    });
  }

  /** Re-runs a range query against committed state plus this block's earlier writes and compares results. */
  private rangeUnchanged(range: RangeRead, updates: ReadonlyMap<string, Version | null>): boolean {
    const last = range.results.at(-1)?.key;
    // Only what the chaincode was sent is re-checked: up to its last result if it did not read to the end.
    const end = range.exhausted || last === undefined ? range.end : `${last}\u0000`;
    const inRange = (key: string): boolean => compareKeys(key, range.start) >= 0 && (end === '' || compareKeys(key, end) < 0);
    const current = new Map<string, Version>(this.state.range(range.start, end).map(([key, entry]) => [key, entry.version]));
    for (const [key, version] of updates) {
      if (!inRange(key)) continue;
      if (version === null) current.delete(key);
      else current.set(key, version);
    }
    if (current.size !== range.results.length) return false;
    const keys = [...current.keys()].sort(compareKeys);
    return range.results.every((result, i) => result.key === keys[i] && sameVersion(current.get(result.key), result.version));
  }

  private nextBlock(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  private assertOpen(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new LedgerError('the ledger is closed', { code: 'LEDGER_UNAVAILABLE' });
  }
}

function transactionRecord(tx: Endorsed): TransactionRecord {
  const { proposal, execution, rwset } = tx;
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  return {
    txId: proposal.txId,
    timestamp: proposal.timestamp.toISOString(),
    creator: { mspId: proposal.creator.mspId, certificate: proposal.certificatePem },
    chaincode: proposal.chaincodeName,
    args: proposal.input.getArgsList_asU8().map((arg) => Buffer.from(arg).toString('utf8')),
    proposal: b64(proposal.proposalBytes),
    rwset: {
      reads: [...rwset.reads].map(([key, version]) => ({ key, version: version && [version.blockNumber, version.txNumber] })),
      ranges: rwset.ranges.map((range) => ({
        start: range.start,
        end: range.end,
        exhausted: range.exhausted,
        results: range.results.map(({ key, version }) => ({ key, version: [version.blockNumber, version.txNumber] })),
      })),
      writes: [...rwset.writes].map(([key, value]) => ({ key, value: value && b64(value) })),
      metadataWrites: [...rwset.metadataWrites].flatMap(([key, entries]) =>
        [...entries].map(([name, value]) => ({ key, name, value: b64(value) })),
      ),
    },
    response: { status: execution.response.status, message: execution.response.message, payload: b64(execution.response.payload) },
    event: execution.event && { name: execution.event.name, payload: b64(execution.event.payload) },
  };
}

function writeSetOf(tx: TransactionRecord): WriteSet {
  const writes = new Map<string, Uint8Array | null>();
  for (const { key, value } of tx.rwset.writes) writes.set(key, value === null ? null : Buffer.from(value, 'base64'));
  const metadataWrites = new Map<string, Map<string, Uint8Array>>();
  for (const { key, name, value } of tx.rwset.metadataWrites) {
    const entries = metadataWrites.get(key) ?? new Map<string, Uint8Array>();
    entries.set(name, Buffer.from(value, 'base64'));
    metadataWrites.set(key, entries);
  }
  return { writes, metadataWrites };
}

function eventOf(blockNumber: number, txIndex: number, tx: TransactionRecord): LedgerEvent {
  const event = tx.event ?? { name: '', payload: '' };
  return {
    blockNumber: BigInt(blockNumber),
    txIndex,
    txId: tx.txId,
    eventName: event.name,
    payload: Buffer.from(event.payload, 'base64'),
    timestamp: new Date(tx.timestamp),
  };
}

function sameConfig(a: ChannelConfig, b: ChannelConfig): boolean {
  const orgs = (config: ChannelConfig): string =>
    JSON.stringify(config.orgs.map((org) => [org.mspId, org.rootCertificate.trim()]).sort());
  return a.channelId === b.channelId && a.chaincode === b.chaincode && orgs(a) === orgs(b);
}

