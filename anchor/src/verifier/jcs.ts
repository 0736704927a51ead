/**
 * RFC 8785 (JCS), the one canonical JSON of the code base for whatever is hashed or signed: evidence records and
 * device envelopes, checkpoints, and the gateway's request hashes and block data. The chaincode keeps its own
 * deterministic marshal (chaincode/src/marshal.ts says why); a gateway test shows both give the same bytes.
 */
import canonicalizeModule from 'canonicalize';
import { InvalidArgumentError, invariant } from './errors.js';

// canonicalize is CommonJS typed as if it had an ES default export; Node's ESM interop (and esbuild's) hands us
// module.exports, which is the function itself.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** Deep enough for any record we write, shallow enough that neither this check nor canonicalize overflows the stack. */
export const JCS_MAX_DEPTH = 256;

/**
 * Why `value` is not plain JSON, or undefined if it is. canonicalize would otherwise turn a nested function into the
 * text `undefined`, drop undefined members, call toJSON (Date, Buffer) and skip holes of sparse arrays, so that two
 * different values could hash alike.
 */
export function notJsonReason(value: unknown, depth = 0): string | undefined {
  if (depth > JCS_MAX_DEPTH) return `nested deeper than ${JCS_MAX_DEPTH}`;
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

const utf8 = new TextEncoder();

/** The UTF-8 bytes of jcs(value), which is what gets hashed and signed. */
export function jcsBytes(value: unknown): Uint8Array {
  return utf8.encode(jcs(value));
}
