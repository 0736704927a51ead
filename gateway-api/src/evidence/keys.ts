import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { EvidenceError } from './errors.js';

export const deviceAlgorithms = ['Ed25519', 'ECDSA-P256'] as const;
export type DeviceAlgorithm = (typeof deviceAlgorithms)[number];

/** A device's public key, parsed, with the SPKI PEM it is stored and published as. */
export interface DeviceKey {
  readonly algorithm: DeviceAlgorithm;
  readonly key: KeyObject;
  /** The key re-exported as SPKI PEM: one canonical text whatever white space the registration had. */
  readonly pem: string;
}

const spkiPem = /^\s*-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;

/**
 * Parses an SPKI PEM public key and checks that it is a key of `algorithm`; INVALID_PUBLIC_KEY otherwise. Only a
 * `PUBLIC KEY` PEM is accepted: node would also derive a public key from a certificate or a private key, and a
 * private key sent here must be refused, not quietly used.
 */
export function parseDeviceKey(algorithm: DeviceAlgorithm, pem: string): DeviceKey {
  if (!spkiPem.test(pem)) throw new EvidenceError('INVALID_PUBLIC_KEY', 'publicKey must be one SPKI PEM block (-----BEGIN PUBLIC KEY-----)');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    // Whatever node reports, a PEM it cannot read is the caller's input; the reason is in the message, not a code.
    throw new EvidenceError('INVALID_PUBLIC_KEY', `publicKey is not a readable SPKI public key (${error instanceof Error ? error.message : 'unreadable'})`);
  }
  const matches =
    algorithm === 'Ed25519' ? key.asymmetricKeyType === 'ed25519' : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!matches) {
    const found = key.asymmetricKeyType === 'ec' ? `EC ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown curve'}` : (key.asymmetricKeyType ?? 'unknown');
    throw new EvidenceError('INVALID_PUBLIC_KEY', `publicKey is a ${found} key, not ${algorithm}`);
  }
  return { algorithm, key, pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Whether `signature` is the device's signature of `data`: Ed25519 (pure, 64 bytes) or ECDSA P-256 with SHA-256, DER. */
export function verifyDeviceSignature(device: DeviceKey, data: Uint8Array, signature: Uint8Array): boolean {
  return device.algorithm === 'Ed25519'
    ? verify(null, data, device.key, signature)
    : verify('sha256', data, { key: device.key, dsaEncoding: 'der' }, signature);
}
