import { z } from 'zod';

/**
 * Column decoders for what the `pg` driver returns with its default type parsers: int8 and numeric as text (they
 * may not fit a JS number), timestamptz as Date, jsonb parsed, bytea as Buffer.
 */
export const int8 = z
  .string()
  .regex(/^-?\d+$/)
  .transform((text) => BigInt(text));
/** int8 as a JS number, for values that are always safe integers here (indices, seqs, sizes). */
export const int8Number = z
  .string()
  .regex(/^-?\d+$/)
  .transform((text) => Number(text))
  .refine((value) => Number.isSafeInteger(value), 'beyond the safe integer range');
export const timestamp = z.date();

/** Parses every row with `schema`: a row of another shape is our bug (schema and code disagree), not bad input. */
export function parseRows<T>(schema: z.ZodType<T>, rows: readonly unknown[]): T[] {
  return rows.map((row) => schema.parse(row));
}

/** The only row of a statement that returns at most one, parsed; undefined when it returned none. */
export function parseOptionalRow<T>(schema: z.ZodType<T>, rows: readonly unknown[]): T | undefined {
  if (rows.length > 1) throw new Error(`expected at most one row, got ${rows.length.toString()}`);
  const [row] = rows;
  return row === undefined ? undefined : schema.parse(row);
}

/** The only row of a statement that always returns exactly one (INSERT ... RETURNING, an aggregate), parsed. */
export function parseRow<T>(schema: z.ZodType<T>, rows: readonly unknown[]): T {
  const row = parseOptionalRow(schema, rows);
  if (row === undefined) throw new Error('expected one row, got none');
  return row;
}
