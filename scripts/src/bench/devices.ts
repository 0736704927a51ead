import { jcsBytes, type DeviceAlgorithm } from '@wr/anchor';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** What the evidence benchmarks share: devices with keys, envelopes signed as a device signs them, the database named. */

export interface Envelope {
  readonly deviceId: string;
  readonly seq: number;
  readonly ts: string;
  readonly readings: readonly Record<string, string | number>[];
  readonly attachments: readonly never[];
}

export interface Item {
  readonly envelope: Envelope;
  readonly signature: string;
}

export interface BenchDevice {
  readonly id: string;
  readonly algorithm: DeviceAlgorithm;
  readonly publicKeyPem: string;
  readonly privateKey: KeyObject;
}

/** Every fifth device signs with ECDSA P-256, the others with Ed25519. */
export const ECDSA_EVERY = 5;

/** The n-th device of a run, with a fresh key pair. */
export function makeDevice(id: string, n: number): BenchDevice {
  const algorithm: DeviceAlgorithm = n % ECDSA_EVERY === ECDSA_EVERY - 1 ? 'ECDSA-P256' : 'Ed25519';
  const pair = algorithm === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { id, algorithm, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey: pair.privateKey };
}

/** Base64 signature over the envelope's JCS bytes: Ed25519 raw, ECDSA P-256 DER. */
export function signEnvelope(device: BenchDevice, envelope: Envelope): string {
  const data = jcsBytes(envelope);
  const signature = device.algorithm === 'Ed25519' ? sign(null, data, device.privateKey) : sign('sha256', data, { key: device.privateKey, dsaEncoding: 'der' });
  return signature.toString('base64');
}

/** Which database the gateway will use, without the credentials a URL may carry. */
export function describeDatabase(url: string): string {
  if (url === '') return 'PGlite (embedded, in the gateway process)';
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname} (DATABASE_URL)`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}
