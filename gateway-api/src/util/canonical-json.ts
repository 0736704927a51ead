/** A JSON value as this project writes it: no undefined, no functions, no non-finite numbers. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no white space, strings escaped as ECMAScript's
 * JSON.stringify does. For the values this project writes (strings, integers, booleans, null) this is exactly
 * RFC 8785 (JCS).
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: JsonValue) => canonicalJson(item)).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as { readonly [key: string]: JsonValue })[key] ?? null)}`);
  return `{${entries.join(',')}}`;
}
