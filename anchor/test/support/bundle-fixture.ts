import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { fromHex, jcsBytes, toHex } from '../../src/hash.js';
import {
  BUNDLE_FORMAT,
  explainBundle,
  leafHashOfRecord,
  nextCheckpoint,
  type Anchor,
  type Checkpoint,
  type DeviceAlgorithm,
  type DeviceReadingRecord,
  type Evidence,
  type EvidenceBundle,
} from '../../src/verifier/index.js';
import { buildTree } from '../../src/merkle.js';
import { prng } from '../../src/testing/seed.js';

/** A device with its key pair, as a warehouse would register it. */
export interface TestDevice {
  readonly id: string;
  readonly algorithm: DeviceAlgorithm;
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

export function makeDevice(id: string, algorithm: DeviceAlgorithm): TestDevice {
  const { publicKey, privateKey } = algorithm === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { id, algorithm, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

/** A reading signed as a device signs it: over JCS(envelope), Ed25519 raw or ECDSA P-256/SHA-256 in DER. */
export function signedReading(device: TestDevice, seq: number, celsius: number): DeviceReadingRecord {
  const envelope = {
    deviceId: device.id,
    seq,
    ts: `2026-01-15T08:${String(seq).padStart(2, '0')}:00Z`,
    readings: [{ metric: 'temperature', unit: 'Cel', value: celsius }],
    attachments: [],
  };
  const data = jcsBytes(envelope);
  const signature = device.algorithm === 'Ed25519' ? sign(null, data, device.privateKey) : sign('sha256', data, { key: device.privateKey, dsaEncoding: 'der' });
  return { type: 'device-reading', envelope, signature: signature.toString('base64'), receivedAt: `2026-01-15T08:${String(seq).padStart(2, '0')}:01.250Z` };
}

/** Seven pieces of evidence of all kinds in one checkpoint (seq 1, after a genesis checkpoint of three leaves). */
export interface BundleFixture {
  readonly ed: TestDevice;
  readonly ec: TestDevice;
  readonly evidence: readonly Evidence[];
  readonly checkpoint: Checkpoint;
  /** The bundle of evidence `index`, anchored as `anchor` says (by default a made-up anchor, for offline checks). */
  bundle(index: number, anchor?: Anchor): EvidenceBundle;
}

export const OFFLINE_ANCHOR: Anchor = {
  chainId: 31337,
  contract: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  txHash: `0x${'ab'.repeat(32)}`,
  blockNumber: 12,
  blockHash: `0x${'cd'.repeat(32)}`,
  blockTimestamp: 1_768_464_000,
};

export function bundleFixture(): BundleFixture {
  const ed = makeDevice('dev-cold-room-1', 'Ed25519');
  const ec = makeDevice('dev-load-cell-7', 'ECDSA-P256');
  const evidence: Evidence[] = [
    { id: 'ev-0', kind: 'device-reading', record: signedReading(ed, 1, 3.5) },
    { id: 'ev-1', kind: 'device-reading', record: signedReading(ec, 1, 4.25) },
    { id: 'ev-2', kind: 'document', record: { type: 'document', sha256: toHex(prng(2).bytes(32)), mediaType: 'application/pdf', name: 'weighbridge-ticket-0042.pdf', receivedAt: '2026-01-15T08:03:00Z' } },
    { id: 'ev-3', kind: 'ledger-event', record: { type: 'ledger-event', txId: 'f'.repeat(64), event: 'RiskEventRecorded', payload: { receiptId: 'R-1', severity: 'critical' } } },
    { id: 'ev-4', kind: 'device-reading', record: signedReading(ed, 2, 9.75) },
    { id: 'ev-5', kind: 'device-reading', record: signedReading(ec, 2, -1) },
    { id: 'ev-6', kind: 'device-reading', record: signedReading(ed, 3, 12) },
  ];
  const leaves = evidence.map((item) => fromHex(leafHashOfRecord(item.record)));
  const tree = buildTree(leaves);
  const genesis = nextCheckpoint(null, { root: toHex(prng(1).bytes(32)), leafCount: 3, createdAt: '2026-01-15T07:59:00Z' });
  const checkpoint = nextCheckpoint(genesis, { root: toHex(tree.root), leafCount: leaves.length, createdAt: '2026-01-15T08:10:00.000Z' });
  const deviceOf = (item: Evidence): TestDevice | null => (item.kind === 'device-reading' ? (item.record.envelope.deviceId === ed.id ? ed : ec) : null);
  return {
    ed,
    ec,
    evidence,
    checkpoint,
    bundle(index, anchor = OFFLINE_ANCHOR) {
      const item = evidence[index];
      if (item === undefined) throw new Error(`no evidence ${index}`);
      const device = deviceOf(item);
      const body = {
        format: BUNDLE_FORMAT,
        evidence: structuredClone(item),
        device: device === null ? null : { id: device.id, algorithm: device.algorithm, publicKey: device.publicKey },
        leaf: { index, hash: toHex(leaves[index] as Buffer) },
        proof: { treeSize: leaves.length, path: tree.auditPath(index).map(toHex) },
        checkpoint: { ...checkpoint },
        anchor: { ...anchor },
        ledger: item.kind === 'ledger-event' ? { receiptId: 'R-1', lotId: 'LOT-1', txId: 'f'.repeat(64) } : null,
      } satisfies Omit<EvidenceBundle, 'explanation'>;
      return { ...body, explanation: explainBundle(body) };
    },
  };
}
