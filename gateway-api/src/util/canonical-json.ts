/** A JSON value as this project writes it: no undefined, no functions, no non-finite numbers. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** What is left to write, in a stack: a value to serialise, or punctuation to copy as it is. */
type Pending = { readonly kind: 'value'; readonly value: JsonValue } | { readonly kind: 'text'; readonly text: string };

const isArray = (value: JsonValue): value is readonly JsonValue[] => Array.isArray(value);

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no white space, strings escaped as ECMAScript's
 * JSON.stringify does. For the values this project writes (strings, integers, booleans, null) this is exactly
 * RFC 8785 (JCS). Written with an explicit stack, not recursion: it hashes request bodies (Idempotency-Key), and a
 * body nested 100,000 levels deep must not overflow the call stack.
 */
export function canonicalJson(value: JsonValue): string {
  let out = '';
  const pending: Pending[] = [{ kind: 'value', value }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.kind === 'text') {
      out += next.text;
      continue;
    }
    const current = next.value;
    if (current === null || typeof current !== 'object') {
      if (typeof current === 'number' && !Number.isFinite(current)) throw new TypeError('non-finite number in canonical JSON');
      out += JSON.stringify(current);
      continue;
    }
    // Pushed last member first, so that they pop in order.
    if (isArray(current)) {
      out += '[';
      pending.push({ kind: 'text', text: ']' });
      for (let i = current.length - 1; i >= 0; i--) {
        pending.push({ kind: 'value', value: current[i] ?? null });
        if (i > 0) pending.push({ kind: 'text', text: ',' });
      }
      continue;
    }
    out += '{';
    pending.push({ kind: 'text', text: '}' });
    const keys = Object.keys(current).sort();
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] ?? '';
      pending.push({ kind: 'value', value: current[key] ?? null });
      pending.push({ kind: 'text', text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` });
    }
  }
  return out;
}
