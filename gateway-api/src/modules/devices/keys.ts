import { InvalidArgumentError, deviceAlgorithms, parseDevicePublicKey, type DeviceAlgorithm } from '@wr/anchor';
import { verify, type KeyObject } from 'node:crypto';
import { EvidenceError } from '../errors.js';

// The algorithms are the evidence bundle's (docs/design.md section 6): one list, anchor's, for the gateway and the verifier.
export { deviceAlgorithms, type DeviceAlgorithm };

/** A device's public key, parsed, with the SPKI PEM it is stored and published as. */
export interface DeviceKey {
  readonly algorithm: DeviceAlgorithm;
  readonly key: KeyObject;
  /** The key re-exported as SPKI PEM: one canonical text whatever white space the registration had. */
  readonly pem: string;
}

/**
 * Parses an SPKI PEM public key of `algorithm` with anchor's parser, the one the verifier reads bundles' keys with, so
 * that the gateway registers no key a bundle could not be checked with; INVALID_PUBLIC_KEY otherwise. Only a
 * `PUBLIC KEY` block is taken (never a private key or a certificate handed in its place); white space around it is.
 */
export function parseDeviceKey(algorithm: DeviceAlgorithm, pem: string): DeviceKey {
  let key: KeyObject;
  try {
    key = parseDevicePublicKey(algorithm, `${pem.trim()}\n`);
  } catch (error) {
    // Anchor's refusals (not a PEM block, not SPKI, not canonical DER, another algorithm) are all the caller's input.
    if (error instanceof InvalidArgumentError) throw new EvidenceError('INVALID_PUBLIC_KEY', `publicKey: ${error.message}`);
    throw error;
  }
  return { algorithm, key, pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * Whether `signature` is the device's signature of `data`: Ed25519 (pure, 64 bytes) or ECDSA P-256 with SHA-256, DER.
 * The check anchor's checkEnvelopeSignature makes, on a key parsed once per batch and on the JCS bytes the intake
 * has already measured (that one re-parses the PEM and re-canonicalises the envelope on every call). That one uses
 * @noble/curves, so that it runs in browsers; this one node:crypto, several times faster, run on libuv's thread pool
 * so that a batch's signatures do not hold up the event loop. Anchor's tests hold both to the same answers.
 */
export function verifyDeviceSignature(device: DeviceKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, valid: boolean): void => (error === null ? resolve(valid) : reject(error));
    if (device.algorithm === 'Ed25519') verify(null, data, device.key, signature, done);
    else verify('sha256', data, { key: device.key, dsaEncoding: 'der' }, signature, done);
  });
}
