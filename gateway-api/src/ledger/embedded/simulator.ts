import { ledger as ledgerProtos, peer } from '@hyperledger/fabric-protos';
import { toTimestamp } from './proposal.js';
import type { Version, WorldState, WriteSet } from './world-state.js';

const MessageType = peer.ChaincodeMessage.Type;
type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];
/** Results per QueryResponse batch, as a peer sends them (`maxResultLimit`). */
const BATCH_SIZE = 100;

/** A range query as the simulation saw it, kept so that the committer can detect phantoms. */
export interface RangeRead {
  readonly start: string;
  readonly end: string;
  /** Every key the chaincode was sent, with its version, in order. */
  readonly results: readonly { readonly key: string; readonly version: Version }[];
  /** Whether the chaincode was sent the whole range (otherwise only up to the last result is re-checked). */
  readonly exhausted: boolean;
}

/** Read and write sets of one simulated transaction. */
export interface ReadWriteSet extends WriteSet {
  readonly reads: ReadonlyMap<string, Version | null>;
  readonly ranges: readonly RangeRead[];
  /** Paginated queries are only allowed in read-only transactions, as on Fabric. */
  readonly paginated: boolean;
}

interface OpenIterator {
  readonly pending: Uint8Array[];
  /** For range queries: every key in the range with its version, and how many of them were sent. */
  readonly range: { readonly start: string; readonly end: string; readonly entries: RangeRead['results']; sent: number } | undefined;
}

/** A refusal the peer answers with an ERROR message; the chaincode sees it as a rejected stub call. */
export class SimulationRequestError extends Error {}

/**
 * Fabric's transaction simulator: reads see committed state only (no read-your-writes), writes are buffered,
 * every read and range result is recorded with its version for MVCC validation at commit.
 */
export class TxSimulator {
  private readonly reads = new Map<string, Version | null>();
  private readonly ranges: RangeRead[] = [];
  private readonly writes = new Map<string, Uint8Array | null>();
  private readonly metadataWrites = new Map<string, Map<string, Uint8Array>>();
  private readonly iterators = new Map<string, OpenIterator>();
  private paginated = false;
  private nextIteratorId = 0;

  constructor(private readonly state: WorldState) {}

  readWriteSet(): ReadWriteSet {
    for (const id of [...this.iterators.keys()]) this.closeIterator(id);
    return {
      reads: this.reads,
      ranges: this.ranges,
      writes: this.writes,
      metadataWrites: this.metadataWrites,
      paginated: this.paginated,
    };
  }

  /** Answers one chaincode request (GET_STATE, PUT_STATE, ...) with the RESPONSE payload. */
  handle(type: MessageTypeValue, payload: Uint8Array): Uint8Array {
    switch (type) {
      case MessageType.GET_STATE: {
        const request = peer.GetState.deserializeBinary(payload);
        publicOnly(request.getCollection());
        return this.getState(request.getKey());
      }
      case MessageType.PUT_STATE: {
        const request = peer.PutState.deserializeBinary(payload);
        publicOnly(request.getCollection());
        this.writes.set(validKey(request.getKey()), request.getValue_asU8());
        return new Uint8Array();
      }
      case MessageType.DEL_STATE: {
        const request = peer.DelState.deserializeBinary(payload);
        publicOnly(request.getCollection());
        this.writes.set(validKey(request.getKey()), null);
        return new Uint8Array();
      }
      case MessageType.GET_STATE_BY_RANGE: {
        const request = peer.GetStateByRange.deserializeBinary(payload);
        publicOnly(request.getCollection());
        return this.getStateByRange(request.getStartkey(), request.getEndkey(), request.getMetadata_asU8());
      }
      case MessageType.QUERY_STATE_NEXT:
        return this.nextBatch(peer.QueryStateNext.deserializeBinary(payload).getId());
      case MessageType.QUERY_STATE_CLOSE: {
        const id = peer.QueryStateClose.deserializeBinary(payload).getId();
        this.closeIterator(id);
        const response = new peer.QueryResponse();
        response.setId(id);
        return response.serializeBinary();
      }
      case MessageType.GET_HISTORY_FOR_KEY:
        return this.getHistory(peer.GetHistoryForKey.deserializeBinary(payload).getKey());
      case MessageType.GET_STATE_METADATA: {
        const request = peer.GetStateMetadata.deserializeBinary(payload);
        publicOnly(request.getCollection());
        return this.getStateMetadata(request.getKey());
      }
      case MessageType.PUT_STATE_METADATA: {
        const request = peer.PutStateMetadata.deserializeBinary(payload);
        publicOnly(request.getCollection());
        const metadata = request.getMetadata();
        if (!metadata) throw new SimulationRequestError('PUT_STATE_METADATA without metadata');
        const key = validKey(request.getKey());
        const entries = this.metadataWrites.get(key) ?? new Map<string, Uint8Array>();
        entries.set(metadata.getMetakey(), metadata.getValue_asU8());
        this.metadataWrites.set(key, entries);
        return new Uint8Array();
      }
      case MessageType.GET_QUERY_RESULT:
        throw new SimulationRequestError('rich queries are not supported: the state database is LevelDB-like');
      case MessageType.INVOKE_CHAINCODE:
        throw new SimulationRequestError('chaincode-to-chaincode invocation is not supported by the embedded ledger');
      default:
        throw new SimulationRequestError(`unsupported chaincode request type ${type}`);
    }
  }

  private getState(key: string): Uint8Array {
    const current = this.state.get(key);
    this.recordRead(key, current?.version ?? null);
    return current?.value ?? new Uint8Array();
  }

  private getStateMetadata(key: string): Uint8Array {
    const current = this.state.get(key);
    this.recordRead(key, current?.version ?? null);
    const result = new peer.StateMetadataResult();
    for (const [name, value] of current?.metadata ?? []) {
      const entry = new peer.StateMetadata();
      entry.setMetakey(name);
      entry.setValue(value);
      result.addEntries(entry);
    }
    return result.serializeBinary();
  }

  private recordRead(key: string, version: Version | null): void {
    // The first read is the one that counts: state cannot change under a running simulation.
    if (!this.reads.has(key)) this.reads.set(key, version);
  }

  private getStateByRange(start: string, end: string, metadataBytes: Uint8Array): Uint8Array {
    if (metadataBytes.length > 0) return this.paginatedRange(start, end, peer.QueryMetadata.deserializeBinary(metadataBytes));
    const entries = this.state.range(start, end);
    const pending = entries.map(([key, entry]) => kvBytes(key, entry.value));
    const versions = entries.map(([key, entry]) => ({ key, version: entry.version }));
    return this.nextBatch(this.openIterator(pending, { start, end, entries: versions, sent: 0 }));
  }

  private paginatedRange(start: string, end: string, query: peer.QueryMetadata): Uint8Array {
    this.paginated = true;
    const pageSize = query.getPagesize();
    if (pageSize <= 0) throw new SimulationRequestError('page size must be positive');
    const from = query.getBookmark() !== '' ? query.getBookmark() : start;
    const entries = this.state.range(from, end, pageSize + 1);
    const page = entries.slice(0, pageSize);
    const response = new peer.QueryResponse();
    for (const [key, entry] of page) response.addResults(resultBytes(kvBytes(key, entry.value)));
    response.setHasMore(false);
    response.setId(`page-${this.nextIteratorId++}`);
    const responseMetadata = new peer.QueryResponseMetadata();
    responseMetadata.setFetchedRecordsCount(page.length);
    responseMetadata.setBookmark(entries[pageSize]?.[0] ?? '');
    response.setMetadata(responseMetadata.serializeBinary());
    return response.serializeBinary();
  }

  private getHistory(key: string): Uint8Array {
    const pending = this.state.historyOf(key).map((modification) => {
      const result = new ledgerProtos.queryresult.KeyModification();
      result.setTxId(modification.txId);
      result.setValue(modification.value);
      result.setTimestamp(toTimestamp(modification.timestamp));
      result.setIsDelete(modification.isDelete);
      return result.serializeBinary();
    });
    // History reads are not re-validated at commit, as on Fabric.
    return this.nextBatch(this.openIterator(pending, undefined));
  }

  private openIterator(pending: Uint8Array[], range: OpenIterator['range']): string {
    const id = `iterator-${this.nextIteratorId++}`;
    this.iterators.set(id, { pending, range });
    return id;
  }

  private nextBatch(id: string): Uint8Array {
    const iterator = this.iterators.get(id);
    if (!iterator) throw new SimulationRequestError(`unknown or closed iterator ${id}`);
    const batch = iterator.pending.splice(0, BATCH_SIZE);
    if (iterator.range) iterator.range.sent += batch.length;
    const response = new peer.QueryResponse();
    for (const bytes of batch) response.addResults(resultBytes(bytes));
    response.setHasMore(iterator.pending.length > 0);
    response.setId(id);
    return response.serializeBinary();
  }

  private closeIterator(id: string): void {
    const iterator = this.iterators.get(id);
    if (!iterator) return;
    this.iterators.delete(id);
    if (iterator.range) {
      const { start, end, entries, sent } = iterator.range;
      this.ranges.push({ start, end, results: entries.slice(0, sent), exhausted: sent === entries.length });
    }
  }
}

function publicOnly(collection: string): void {
  if (collection !== '') throw new SimulationRequestError('private data collections are not supported by the embedded ledger');
}

function validKey(key: string): string {
  if (key === '') throw new SimulationRequestError('key must not be empty');
  return key;
}

function kvBytes(key: string, value: Uint8Array): Uint8Array {
  const kv = new ledgerProtos.queryresult.KV();
  kv.setKey(key);
  kv.setValue(value);
  return kv.serializeBinary();
}

function resultBytes(bytes: Uint8Array): peer.QueryResultBytes {
  const result = new peer.QueryResultBytes();
  result.setResultbytes(bytes);
  return result;
}
