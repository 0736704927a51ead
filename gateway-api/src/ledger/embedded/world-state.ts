import btree from 'sorted-btree';
import { compareKeys } from './key-order.js';

const BTree = btree.default;

/** The height at which a key was last written: Fabric's version (block number, transaction number). */
export interface Version {
  readonly blockNumber: number;
  readonly txNumber: number;
}

export interface VersionedValue {
  readonly value: Uint8Array;
  readonly version: Version;
  /** Key-level metadata, e.g. `VALIDATION_PARAMETER` (state-based endorsement policy). */
  readonly metadata: ReadonlyMap<string, Uint8Array>;
}

export interface KeyModification {
  readonly txId: string;
  readonly timestamp: Date;
  readonly isDelete: boolean;
  readonly value: Uint8Array;
  readonly blockNumber: number;
  readonly txNumber: number;
}

/** What one valid transaction changes: last write per key wins; `null` deletes. */
export interface WriteSet {
  readonly writes: ReadonlyMap<string, Uint8Array | null>;
  readonly metadataWrites: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
}

export function sameVersion(a: Version | undefined, b: Version | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.blockNumber === b.blockNumber && a.txNumber === b.txNumber;
}

/** Committed world state in key order, with each key's history (Fabric's state and history databases). */
export class WorldState {
  private readonly tree = new BTree<string, VersionedValue>(undefined, compareKeys);
  private readonly history = new Map<string, KeyModification[]>();

  get(key: string): VersionedValue | undefined {
    return this.tree.get(key);
  }

  /** Keys in [start, end) in key order, `end === ''` meaning unbounded; at most `limit` entries. */
  range(start: string, end: string, limit = Number.POSITIVE_INFINITY): [string, VersionedValue][] {
    const result: [string, VersionedValue][] = [];
    for (const entry of this.tree.entries(start)) {
      if (result.length >= limit || (end !== '' && compareKeys(entry[0], end) >= 0)) break;
      result.push(entry);
    }
    return result;
  }

  /** Modifications of a key, newest first (as Fabric 2.x returns them). */
  historyOf(key: string): readonly KeyModification[] {
    return (this.history.get(key) ?? []).slice().reverse();
  }

  get size(): number {
    return this.tree.size;
  }

  apply(writeSet: WriteSet, version: Version, txId: string, timestamp: Date): void {
    for (const [key, value] of writeSet.writes) {
      const modification = { txId, timestamp, isDelete: value === null, value: value ?? new Uint8Array(), ...version };
      const entries = this.history.get(key);
      if (entries) entries.push(modification);
      else this.history.set(key, [modification]);
      if (value === null) {
        this.tree.delete(key);
      } else {
        const previous = this.tree.get(key);
        this.tree.set(key, { value, version, metadata: previous?.metadata ?? new Map() });
      }
    }
    for (const [key, entries] of writeSet.metadataWrites) {
      const current = this.tree.get(key);
      // Metadata lives with its key: Fabric drops it when the key is deleted and ignores it for absent keys.
      if (!current) continue;
      const metadata = new Map(current.metadata);
      for (const [name, value] of entries) metadata.set(name, value);
      this.tree.set(key, { value: current.value, version, metadata });
    }
  }
}
