import type { DeviceAlgorithm, DeviceEnvelope } from './bundle.js';
import { P256_CURVE_OID, parseSpki } from './der.js';
import { InvalidArgumentError } from './errors.js';
import { fromBase64, isBase64 } from './hash.js';
import { jcsBytes } from './jcs.js';
import { p256Point, verifyEcdsaP256, verifyEd25519 } from './signature-crypto.js';

/** Why a device signature does not hold; stable codes, append-only. */
export type SignatureFailure = 'PUBLIC_KEY_MALFORMED' | 'ALGORITHM_MISMATCH' | 'SIGNATURE_MALFORMED' | 'SIGNATURE_MISMATCH';

/** The outcome of checking a device's signature over JCS(envelope). */
export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure; detail: string };

/** A device's public key as parsed from its SPKI PEM: the DER and the key itself (Ed25519 32 bytes, P-256 SEC1). */
export interface DevicePublicKey {
  readonly algorithm: DeviceAlgorithm;
  /** The SubjectPublicKeyInfo DER, canonical. */
  readonly spki: Uint8Array;
  /** The raw key: the 32 bytes of an Ed25519 key, or a valid P-256 point (compressed or uncompressed SEC1). */
  readonly key: Uint8Array;
}

const PEM = /^-----BEGIN PUBLIC KEY-----\r?\n((?:[A-Za-z0-9+/=]+\r?\n)+)-----END PUBLIC KEY-----\r?\n?$/;

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

/**
 * Parses an SPKI PEM public key and checks it is of `algorithm`; throws InvalidArgumentError (KeyAlgorithmError for
 * a key of another type) otherwise. Only a `PUBLIC KEY` block whose DER is canonical is taken, never a private key
 * or a certificate handed in its place, and a P-256 key must be a point on the curve.
 */
export function parsePublicKeyPem(algorithm: DeviceAlgorithm, pem: string): DevicePublicKey {
  const body = PEM.exec(pem)?.[1]?.replace(/\r?\n/g, '');
  if (body === undefined || !isBase64(body)) throw new InvalidArgumentError('public key is not an SPKI PEM block');
  const der = fromBase64(body);
  const spki = parseSpki(der);
  const key = spki?.key;
  // An EC key on P-256 must be a point of the curve, as OpenSSL checks when it reads the key.
  const point = key?.type === 'ec' && key.curve === P256_CURVE_OID ? p256Point(key.point) : undefined;
  if (spki === undefined || key === undefined || (key.type === 'ec' && key.curve === P256_CURVE_OID && point === undefined)) {
    throw new InvalidArgumentError('public key DER is not a SubjectPublicKeyInfo');
  }
  if (!spki.canonical) throw new InvalidArgumentError('public key DER is not canonical');
  if (algorithm === 'Ed25519' && key.type === 'ed25519') return { algorithm, spki: der, key: key.key };
  if (algorithm === 'ECDSA-P256' && point !== undefined) return { algorithm, spki: der, key: point };
  throw new KeyAlgorithmError(algorithm, key.type === 'other' ? key.name : key.type);
}

/**
 * Checks `signature` (base64; Ed25519 raw 64 bytes, ECDSA P-256 with SHA-256 DER-encoded) over JCS(envelope).
 * Asynchronous so that it may move to a platform's own crypto without changing its callers.
 */
export function checkEnvelopeSignature(device: { algorithm: DeviceAlgorithm; publicKey: string }, envelope: DeviceEnvelope, signature: string): Promise<SignatureCheck> {
  return Promise.resolve().then(() => checkNow(device, envelope, signature));
}

function checkNow(device: { algorithm: DeviceAlgorithm; publicKey: string }, envelope: DeviceEnvelope, signature: string): SignatureCheck {
  let key: DevicePublicKey;
  try {
    key = parsePublicKeyPem(device.algorithm, device.publicKey);
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
  const valid = device.algorithm === 'Ed25519' ? verifyEd25519(key.key, data, bytes) : verifyEcdsaP256(key.key, data, bytes);
  return valid ? { ok: true } : { ok: false, reason: 'SIGNATURE_MISMATCH', detail: `the ${device.algorithm} signature does not verify over JCS(envelope)` };
}

/**
 * SEQUENCE { INTEGER r, INTEGER s } for P-256 is 8 to 72 bytes with a one-byte length. Past this, a signature that
 * is not strict DER is a SIGNATURE_MISMATCH, as it was when OpenSSL checked the rest.
 */
function looksLikeDerSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes.length <= 72 && bytes[0] === 0x30 && bytes[1] === bytes.length - 2;
}
