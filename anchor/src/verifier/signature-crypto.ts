/**
 * Device signature verification without node:crypto or WebCrypto: @noble/curves, so that a bundle verifies the same
 * in every runtime (WebCrypto has Ed25519 only in recent browsers, and takes ECDSA signatures as raw r || s, so a
 * DER signature handed to it verifies as false without a word). DER is decoded strictly here (der.ts).
 */
import { ed25519 } from '@noble/curves/ed25519';
import { p256 } from '@noble/curves/nist';
import { decodeEcdsaSignature } from './der.js';

/**
 * The SEC1 encoding of a valid P-256 point as noble reads it, or undefined if `encoded` is none. Compressed (0x02,
 * 0x03) and uncompressed (0x04) forms pass as they are; the hybrid form (0x06, 0x07), which OpenSSL also reads,
 * becomes uncompressed once its parity bit is checked against y. The point at infinity is refused.
 */
export function p256Point(encoded: Uint8Array): Uint8Array | undefined {
  const [prefix] = encoded;
  let bytes = encoded;
  if ((prefix === 0x06 || prefix === 0x07) && encoded.length === 65) {
    if (((encoded[64] ?? 0) & 1) !== (prefix & 1)) return undefined;
    bytes = new Uint8Array(encoded);
    bytes[0] = 0x04;
  }
  try {
    p256.Point.fromBytes(bytes).assertValidity();
    return bytes;
  } catch (error) {
    // noble throws an Error for any encoding that is not a point on the curve; anything else is a fault.
    if (error instanceof Error) return undefined;
    throw error;
  }
}

/** Pure Ed25519 (RFC 8032, strict: canonical encodings, no small-order key) of `signature` (64 bytes) over `data`. */
export function verifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  return ed25519.verify(signature, data, publicKey, { zip215: false });
}

/**
 * ECDSA P-256 with SHA-256 of a DER `signature` over `data`, for a point from p256Point. A signature that is not
 * strict DER, or whose r or s is not in [1, n-1], does not verify; high s does, as with OpenSSL.
 */
export function verifyEcdsaP256(point: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const decoded = decodeEcdsaSignature(signature);
  const order = p256.Point.Fn.ORDER;
  if (decoded === undefined || decoded.r >= order || decoded.s >= order) return false;
  // noble's compact form is r || s, 32 bytes each, big-endian.
  const compact = new Uint8Array(64);
  compact.set(bigEndian32(decoded.r), 0);
  compact.set(bigEndian32(decoded.s), 32);
  return p256.verify(compact, data, point, { prehash: true, lowS: false, format: 'compact' });
}

function bigEndian32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let rest = value;
  for (let i = 31; i >= 0; i--, rest >>= 8n) out[i] = Number(rest & 0xffn);
  return out;
}
