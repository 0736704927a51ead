import { z } from 'zod';
import { isBase64, isHash, type Hex } from './hash.js';
import { notJsonReason } from './jcs.js';

/** A JSON value as hashed here: what JSON.parse can return, without lone surrogates, nested at most 256 deep. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object, the shape of every evidence record. */
export type JsonObject = { [key: string]: JsonValue };

/** A 32-byte hash as `0x` and 64 lowercase hex digits. */
export const hashSchema = z.custom<Hex>(isHash, { error: 'expected a 32-byte hash as 0x and 64 lowercase hex digits' });

/** A non-negative safe integer: JCS prints these as plain digits, so they hash the same in every language. */
export const uintSchema = z.int().nonnegative();

/** An RFC 3339 date-time with seconds, in UTC (`Z`) or with a numeric offset. */
export const rfc3339Schema = z.iso.datetime({ offset: true });

/** Canonical padded base64 (RFC 4648 §4). */
export const base64Schema = z.string().refine(isBase64, 'expected canonical padded base64');

/** Any JSON value that JCS can represent exactly. */
export const jsonValueSchema = z.custom<JsonValue>().superRefine((value, ctx) => {
  const reason = notJsonReason(value);
  if (reason !== undefined) ctx.addIssue({ code: 'custom', message: `not canonicalizable JSON: ${reason}` });
});

/** A JSON object that JCS can represent exactly; parsed values are the input itself, never a copy. */
export const jsonObjectSchema = z
  .custom<JsonObject>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), { error: 'expected a JSON object' })
  .superRefine((value, ctx) => {
    const reason = notJsonReason(value);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: `not canonicalizable JSON: ${reason}` });
  });

/** Formats the first zod issues as `path: message`, for check details and error messages. */
export function describeIssues(error: z.ZodError, max = 5): string {
  const shown = error.issues.slice(0, max).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  const more = error.issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ');
}
