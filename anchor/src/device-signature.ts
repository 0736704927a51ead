import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { DeviceAlgorithm, DeviceEnvelope } from './bundle.js';
import { InvalidArgumentError } from './errors.js';
import { fromBase64, isBase64, jcsBytes } from './hash.js';

/** Why a device signature does not hold; stable codes, append-only. */
export type SignatureFailure = 'PUBLIC_KEY_MALFORMED' | 'ALGORITHM_MISMATCH' | 'SIGNATURE_MALFORMED' | 'SIGNATURE_MISMATCH';

/** The outcome of checking a device's signature over JCS(envelope). */
export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure; detail: string };

const PEM = /^-----BEGIN PUBLIC KEY-----\r?\n((?:[A-Za-z0-9+/=]+\r?\n)+)-----END PUBLIC KEY-----\r?\n?$/;

/**
 * Parses an SPKI PEM public key and checks it is of `algorithm`; throws InvalidArgumentError otherwise. Only a
 * `PUBLIC KEY` block whose DER re-encodes to itself is taken: node:crypto would also derive a public key from a
 * private key or a certificate handed in its place.
 */
export function parseDevicePublicKey(algorithm: DeviceAlgorithm, pem: string): KeyObject {
  const body = PEM.exec(pem)?.[1]?.replace(/\r?\n/g, '');
  if (body === undefined || !isBase64(body)) throw new InvalidArgumentError('public key is not an SPKI PEM block');
  const der = fromBase64(body);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (error) {
    throw new InvalidArgumentError('public key DER is not a SubjectPublicKeyInfo', { cause: error });
  }
  if (!key.export({ type: 'spki', format: 'der' }).equals(der)) throw new InvalidArgumentError('public key DER is not canonical');
  const matches =
    algorithm === 'Ed25519'
      ? key.asymmetricKeyType === 'ed25519'
      : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!matches) throw new KeyAlgorithmError(algorithm, key.asymmetricKeyType ?? 'unknown');
  return key;
}

/** A well-formed public key of another algorithm than the device is registered with. */
export class KeyAlgorithmError extends InvalidArgumentError {
  constructor(
    readonly expected: DeviceAlgorithm,
    readonly actual: string,
  ) {
    super(`public key is ${actual}, the device's algorithm is ${expected}`);
    this.name = 'KeyAlgorithmError';
  }
}

/** Checks `signature` (base64; Ed25519 raw 64 bytes, ECDSA P-256 with SHA-256 DER-encoded) over JCS(envelope). */
export function checkEnvelopeSignature(device: { algorithm: DeviceAlgorithm; publicKey: string }, envelope: DeviceEnvelope, signature: string): SignatureCheck {
  let key: KeyObject;
  try {
    key = parseDevicePublicKey(device.algorithm, device.publicKey);
  } catch (error) {
    if (error instanceof KeyAlgorithmError) return { ok: false, reason: 'ALGORITHM_MISMATCH', detail: error.message };
    if (error instanceof InvalidArgumentError) return { ok: false, reason: 'PUBLIC_KEY_MALFORMED', detail: error.message };
    throw error;
  }
  if (!isBase64(signature)) return { ok: false, reason: 'SIGNATURE_MALFORMED', detail: 'signature is not canonical padded base64' };
  const bytes = fromBase64(signature);
  const wellFormed = device.algorithm === 'Ed25519' ? bytes.length === 64 : looksLikeDerSignature(bytes);
  if (!wellFormed) {
    return { ok: false, reason: 'SIGNATURE_MALFORMED', detail: `signature is not ${device.algorithm === 'Ed25519' ? '64 bytes' : 'a DER ECDSA signature'}` };
  }
  const data = jcsBytes(envelope);
  const valid = device.algorithm === 'Ed25519' ? verify(null, data, key, bytes) : verify('sha256', data, { key, dsaEncoding: 'der' }, bytes);
  return valid ? { ok: true } : { ok: false, reason: 'SIGNATURE_MISMATCH', detail: `the ${device.algorithm} signature does not verify over JCS(envelope)` };
}

/** SEQUENCE { INTEGER r, INTEGER s } for P-256 is 8 to 72 bytes with a one-byte length; OpenSSL checks the rest strictly. */
function looksLikeDerSignature(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.length <= 72 && bytes[0] === 0x30 && bytes[1] === bytes.length - 2;
}
