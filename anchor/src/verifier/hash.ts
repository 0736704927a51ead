/**
 * SHA-256 and the byte spellings used in JSON here (strict `0x` hex, canonical base64), on plain Uint8Arrays so that
 * they run in browsers as in Node. SHA-256 is @noble/hashes', the same code in every runtime; the Node entry
 * (`@wr/anchor`) has node:crypto versions returning Buffers for the gateway's hot paths.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';
import { InvalidArgumentError } from './errors.js';

/** A `0x`-prefixed lowercase hex string, the only way hashes appear in JSON here. */
export type Hex = `0x${string}`;

/** SHA-256 digest length in bytes. */
export const HASH_BYTES = 32;

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = nobleSha256.create();
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** True if `a` and `b` hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

const NIBBLES = '0123456789abcdef';

/** `0x` followed by the lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): Hex {
  let digits = '';
  for (const byte of bytes) digits += NIBBLES.charAt(byte >> 4) + NIBBLES.charAt(byte & 15);
  return `0x${digits}`;
}

const HEX = /^0x(?:[0-9a-f]{2})*$/;

/** True if `value` is `0x` and lowercase hex of exactly `bytes` bytes (any even length when `bytes` is omitted). */
export function isHex(value: unknown, bytes?: number): value is Hex {
  return typeof value === 'string' && HEX.test(value) && (bytes === undefined || value.length === 2 + 2 * bytes);
}

/**
 * Parses `0x`-prefixed lowercase hex. Strict because lenient decoders (Buffer.from(x, 'hex')) silently stop at the
 * first bad digit, and two spellings of one hash would make string comparison of hashes unsound.
 */
export function fromHex(value: string, bytes?: number): Uint8Array {
  if (!isHex(value, bytes)) {
    throw new InvalidArgumentError(`expected 0x-prefixed lowercase hex${bytes === undefined ? '' : ` of ${bytes} bytes`}`);
  }
  const out = new Uint8Array((value.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

/** True if `value` is a 32-byte hash as `0x`-prefixed lowercase hex. */
export function isHash(value: unknown): value is Hex {
  return isHex(value, HASH_BYTES);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard padded base64 (RFC 4648 §4) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const chunk = (a << 16) | (b << 8) | c;
    text += BASE64_ALPHABET.charAt(chunk >> 18) + BASE64_ALPHABET.charAt((chunk >> 12) & 63);
    text += i + 1 < bytes.length ? BASE64_ALPHABET.charAt((chunk >> 6) & 63) : '=';
    text += i + 2 < bytes.length ? BASE64_ALPHABET.charAt(chunk & 63) : '=';
  }
  return text;
}

/** Decodes text that matched BASE64; the caller checks the spelling is canonical. */
function decodeBase64(value: string): Uint8Array {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((value.length / 4) * 3 - padding);
  let bits = 0;
  let buffered = 0;
  let k = 0;
  for (let i = 0; i < value.length - padding; i++) {
    buffered = ((buffered << 6) | BASE64_ALPHABET.indexOf(value.charAt(i))) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (buffered >> bits) & 0xff;
    }
  }
  return out;
}

/** True if `value` is canonical standard base64 (RFC 4648 §4, padded). */
export function isBase64(value: unknown): value is string {
  // The round trip refuses non-zero padding bits, which would give one byte string several spellings.
  return typeof value === 'string' && BASE64.test(value) && toBase64(decodeBase64(value)) === value;
}

/** Parses canonical standard base64; refuses what lenient decoders (Buffer.from(x, 'base64')) would silently skip. */
export function fromBase64(value: string): Uint8Array {
  if (!isBase64(value)) throw new InvalidArgumentError('expected canonical padded base64');
  return decodeBase64(value);
}
