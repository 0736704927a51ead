import { createPublicKey, type KeyObject } from 'node:crypto';
import type { DeviceAlgorithm } from './verifier/bundle.js';
import { parsePublicKeyPem } from './verifier/device-signature.js';
import { InvalidArgumentError } from './verifier/errors.js';

/**
 * Parses an SPKI PEM public key of `algorithm` into a node:crypto KeyObject; throws InvalidArgumentError
 * (KeyAlgorithmError for another key type) otherwise. The key is first read by the verifier core's parser
 * (parsePublicKeyPem), so that the gateway takes no key a bundle's verifier would refuse.
 */
export function parseDevicePublicKey(algorithm: DeviceAlgorithm, pem: string): KeyObject {
  const { spki } = parsePublicKeyPem(algorithm, pem);
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw new InvalidArgumentError('public key DER is not a SubjectPublicKeyInfo', { cause: error });
  }
}
