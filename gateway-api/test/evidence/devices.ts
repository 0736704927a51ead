import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * Test devices that sign as real ones would, and an independent recomputation of leaf hashes: the JCS here is the
 * `canonicalize` package called directly, not the gateway's wrapper.
 */

const canonicalize = createRequire(import.meta.url)('canonicalize') as (value: unknown) => string | undefined;

export function canonical(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('not JSON');
  return text;
}

/** SHA-256(0x00 || JCS(record)) as 0x-prefixed lowercase hex. */
export function expectedLeafHash(record: unknown): string {
  return `0x${createHash('sha256').update(Buffer.concat([Buffer.of(0), Buffer.from(canonical(record), 'utf8')])).digest('hex')}`;
}

export type Algorithm = 'Ed25519' | 'ECDSA-P256';

export interface Envelope {
  deviceId: string;
  seq: number;
  ts: string;
  readings: Record<string, unknown>[];
  attachments: Record<string, unknown>[];
}

export class TestDevice {
  readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;

  constructor(
    readonly id: string,
    readonly algorithm: Algorithm,
  ) {
    const pair = algorithm === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  registration(warehouseId = 'WH-QD-01'): Record<string, unknown> {
    return { id: this.id, warehouseId, kind: 'temperature', algorithm: this.algorithm, publicKey: this.publicKeyPem };
  }

  envelope(seq: number, changes: Partial<Envelope> = {}): Envelope {
    return {
      deviceId: this.id,
      seq,
      ts: new Date().toISOString(),
      readings: [{ sensor: 'probe-1', kind: 'temperature', value: 4.5 + seq / 10, unit: 'Cel' }],
      attachments: [],
      ...changes,
    };
  }

  /** Base64 signature over JCS(envelope): Ed25519 raw, ECDSA P-256 DER. */
  sign(envelope: unknown): string {
    const data = Buffer.from(canonical(envelope), 'utf8');
    const signature =
      this.algorithm === 'Ed25519' ? sign(null, data, this.privateKey) : sign('sha256', data, { key: this.privateKey, dsaEncoding: 'der' });
    return signature.toString('base64');
  }

  /** A signed item for seq (the envelope changed by `changes` before signing). */
  item(seq: number, changes: Partial<Envelope> = {}): { envelope: Envelope; signature: string } {
    const envelope = this.envelope(seq, changes);
    return { envelope, signature: this.sign(envelope) };
  }
}
