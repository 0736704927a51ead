import canonicalizeModule from 'canonicalize';
import { createHash } from 'node:crypto';
import { InvalidArgumentError, invariant } from './errors.js';

// canonicalize is CommonJS typed as if it had an ES default export; Node's ESM interop hands us module.exports,
// which is the function itself.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** A `0x`-prefixed lowercase hex string, the only way hashes appear in JSON here. */
export type Hex = `0x${string}`;

/** SHA-256 digest length in bytes. */
export const HASH_BYTES = 32;

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** `0x` followed by the lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

const HEX = /^0x(?:[0-9a-f]{2})*$/;

/** True if `value` is `0x` and lowercase hex of exactly `bytes` bytes (any even length when `bytes` is omitted). */
export function isHex(value: unknown, bytes?: number): value is Hex {
  return typeof value === 'string' && HEX.test(value) && (bytes === undefined || value.length === 2 + 2 * bytes);
}

/**
 * Parses `0x`-prefixed lowercase hex. Strict because Buffer.from(x, 'hex') silently stops at the first bad digit,
 * and two spellings of one hash would make string comparison of hashes unsound.
 */
export function fromHex(value: string, bytes?: number): Buffer {
  if (!isHex(value, bytes)) {
    throw new InvalidArgumentError(`expected 0x-prefixed lowercase hex${bytes === undefined ? '' : ` of ${bytes} bytes`}`);
  }
  return Buffer.from(value.slice(2), 'hex');
}

/** True if `value` is a 32-byte hash as `0x`-prefixed lowercase hex. */
export function isHash(value: unknown): value is Hex {
  return isHex(value, HASH_BYTES);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True if `value` is canonical standard base64 (RFC 4648 §4, padded). */
export function isBase64(value: unknown): value is string {
  // The round trip refuses non-zero padding bits, which would give one byte string several spellings.
  return typeof value === 'string' && BASE64.test(value) && Buffer.from(value, 'base64').toString('base64') === value;
}

/** Parses canonical standard base64; refuses what Buffer.from(x, 'base64') would silently skip. */
export function fromBase64(value: string): Buffer {
  if (!isBase64(value)) throw new InvalidArgumentError('expected canonical padded base64');
  return Buffer.from(value, 'base64');
}

/** Deep enough for any record we write, shallow enough that neither this check nor canonicalize overflows the stack. */
const MAX_DEPTH = 256;

/**
 * Why `value` is not plain JSON, or undefined if it is. canonicalize would otherwise turn a nested function into the
 * text `undefined`, drop undefined members, call toJSON (Date, Buffer) and skip holes of sparse arrays, so that two
 * different values could hash alike.
 */
export function notJsonReason(value: unknown, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH}`;
  switch (typeof value) {
    case 'string':
      // RFC 8785 takes I-JSON (RFC 7493) input, which forbids lone surrogates.
      return value.isWellFormed() ? undefined : 'string with a lone surrogate';
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `non-finite number ${value}`;
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return `hole at array index ${i}`;
          const reason = notJsonReason(value[i], depth + 1);
          if (reason !== undefined) return `[${i}]: ${reason}`;
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return 'object that is not a plain object';
      if (Object.getOwnPropertySymbols(value).length > 0) return 'object with symbol keys';
      for (const [key, member] of Object.entries(value)) {
        const reason = notJsonReason(member, depth + 1);
        if (reason !== undefined) return `${JSON.stringify(key)}: ${reason}`;
      }
      return undefined;
    }
    default:
      return `${typeof value} value`;
  }
}

/** RFC 8785 (JCS) canonical JSON text of `value`; throws InvalidArgumentError for anything that is not plain JSON. */
export function jcs(value: unknown): string {
  const reason = notJsonReason(value);
  if (reason !== undefined) throw new InvalidArgumentError(`not canonicalizable JSON: ${reason}`);
  const text = canonicalize(value);
  invariant(text !== undefined, 'canonicalize returned nothing for a JSON value');
  return text;
}

/** The UTF-8 bytes of jcs(value), which is what gets hashed and signed. */
export function jcsBytes(value: unknown): Buffer {
  return Buffer.from(jcs(value), 'utf8');
}
