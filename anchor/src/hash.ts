/**
 * The Node flavour of the verifier core's byte helpers (./verifier/hash.ts, ./verifier/jcs.ts): the same checks,
 * with node:crypto's SHA-256 (several times faster than a JavaScript one, for the gateway's hot paths) and Buffers
 * out, as the gateway, the tree builder and the benchmarks use them.
 */
import { createHash } from 'node:crypto';
import { fromBase64 as coreFromBase64, fromHex as coreFromHex } from './verifier/hash.js';
import { jcs } from './verifier/jcs.js';

export { HASH_BYTES, equalBytes, isBase64, isHash, isHex, toBase64, toHex, type Hex } from './verifier/hash.js';
export { JCS_MAX_DEPTH, jcs, notJsonReason } from './verifier/jcs.js';

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Parses `0x`-prefixed lowercase hex strictly, as the verifier core does; a Buffer. */
export function fromHex(value: string, bytes?: number): Buffer {
  return asBuffer(coreFromHex(value, bytes));
}

/** Parses canonical standard base64 only, as the verifier core does; a Buffer. */
export function fromBase64(value: string): Buffer {
  return asBuffer(coreFromBase64(value));
}

/** The UTF-8 bytes of jcs(value), which is what gets hashed and signed; a Buffer. */
export function jcsBytes(value: unknown): Buffer {
  return Buffer.from(jcs(value), 'utf8');
}

/** A Buffer over the same memory, no copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
