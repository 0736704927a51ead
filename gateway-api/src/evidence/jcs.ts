import { createRequire } from 'node:module';

// `canonicalize` is CommonJS exporting the function itself, while its typings declare an ES default export, so an
// `import` of it cannot be typed correctly under NodeNext: it is required, with the signature its typings give.
const canonicalize = createRequire(import.meta.url)('canonicalize') as (value: unknown) => string | undefined;

/**
 * RFC 8785 (JCS) text of a JSON value, through the `canonicalize` package. Local for now; it moves to the anchor
 * package's `jcs()` so that the gateway and the offline verifier share one implementation.
 */
export function jcs(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('the value has no JSON representation');
  return text;
}
