/*
 * Why the chaincode has its own canonical JSON instead of the code base's one RFC 8785 (JCS) implementation in
 * @wr/anchor/verifier: the chaincode is a CommonJS package deployed on its own to Fabric peers, where every endorser
 * must produce identical bytes from the chaincode package alone, so it depends on neither the gateway's nor anchor's
 * packages (nor on their dependencies). It also refuses, with the chaincode's own INTERNAL error, what JCS could not
 * represent (non-plain objects, cycles, undefined). For the JSON the chaincode writes (strings, integers, booleans,
 * null, plain objects and arrays) its bytes are RFC 8785's: a gateway test (gateway-api/test/ledger/chaincode-jcs.test.ts)
 * compares both on such records. They part only on lone surrogates, which JCS refuses, this escapes, and the
 * gateway's schemas refuse before any transaction.
 */
import type { z } from 'zod';
import { describeIssues, internal } from './errors';

const utf8Encoder = new TextEncoder();
// fatal: bytes that are not valid UTF-8 are an error, not silently replaced characters.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The one serialisation for state, events and responses: JSON with object keys sorted recursively (UTF-16 code unit
 * order, as RFC 8785), no whitespace, UTF-8. Endorsing peers must produce identical bytes, so anything whose JSON
 * form is ambiguous or lossy (undefined, functions, NaN, class instances, cycles) is refused instead of dropped.
 */
export function marshal(value: unknown): Uint8Array {
  return utf8Encoder.encode(toCanonicalJson(value));
}

/** The text form of `marshal`, for transaction return values (fabric-contract-api returns strings as UTF-8). */
export function toCanonicalJson(value: unknown): string {
  return encode(value, []);
}

function encode(value: unknown, ancestors: object[]): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw internal(`cannot marshal non-finite number ${value}`);
    }
    return JSON.stringify(value);
  }
  if (typeof value !== 'object') {
    throw internal(`cannot marshal a value of type ${typeof value}`);
  }
  if (ancestors.includes(value)) {
    throw internal('cannot marshal a cyclic structure');
  }
  const inner = [...ancestors, value];
  if (Array.isArray(value)) {
    // Array.from turns holes into undefined, which encode refuses, instead of emitting "[,1]".
    const items = Array.from<unknown>(value);
    return `[${items.map((item) => encode(item, inner)).join(',')}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw internal('cannot marshal a non-plain object');
  }
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const members = entries.map(([key, member]) => {
    if (member === undefined) {
      throw internal(`cannot marshal undefined property ${key}`);
    }
    return `${JSON.stringify(key)}:${encode(member, inner)}`;
  });
  return `{${members.join(',')}}`;
}

/** Parses bytes we wrote ourselves; a mismatch means corrupt state or a bug: INTERNAL, not the caller's fault. */
export function unmarshal<T>(bytes: Uint8Array, schema: z.ZodType<T>, what: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decoder.decode(bytes));
  } catch (error) {
    throw internal(`stored ${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw internal(`stored ${what} does not match its schema: ${describeIssues(result.error)}`);
  }
  return result.data;
}
