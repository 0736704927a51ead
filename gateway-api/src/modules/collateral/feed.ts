import { decimalPattern } from '@wr/chaincode/quantity';
import { z } from 'zod';
import type { PriceInput } from '../../registry/receipt-registry.js';

/**
 * Price feeds (docs/collateral.md): a JSON or CSV document of marks, pulled from PRICE_FEED_URL on a schedule or
 * imported by hand. A feed is checked whole before anything is recorded: one bad row refuses the feed, and the
 * error names every bad row, so an operator fixes the feed once.
 */

/** One mark as a feed gives it: RecordPrice's argument. */
export type FeedMark = PriceInput;

/** Why a row of a feed was refused: its row (1 = the first mark; CSV counts the header as row 0) and field. */
export interface FeedProblem {
  readonly row: number;
  readonly field: string | null;
  readonly code: 'MALFORMED' | 'INVALID_PRICE' | 'CURRENCY_MISMATCH' | 'UNIT_MISMATCH' | 'CONFLICT' | 'INVALID_FIELD';
  readonly message: string;
}

/** A feed refused as a whole. */
export class FeedError extends Error {
  constructor(
    readonly code: 'PRICE_FEED_INVALID' | 'PRICE_FEED_UNREACHABLE',
    message: string,
    readonly problems: readonly FeedProblem[] = [],
  ) {
    super(message);
    this.name = 'FeedError';
  }
}

export type FeedFormat = 'json' | 'csv';

/** At most this many marks in one feed (a day of one mark a minute for a handful of commodities). */
export const MAX_FEED_MARKS = 10_000;
/** Largest feed document read. */
export const MAX_FEED_BYTES = 4 * 1024 * 1024;

const noControl = /^(?:[^\p{Cc}])*$/u;
const textField = (max: number) => z.string().min(1).max(max).regex(noControl, 'must not contain control characters').regex(/\S/, 'must not be blank');
const markFields = z.strictObject({
  commodity: textField(100),
  unit: textField(20),
  price: z.string().max(40),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like "CNY"'),
  source: textField(200).optional(),
  asOf: z.iso.datetime({ error: 'must be an ISO 8601 UTC time like 2026-12-02T07:00:00Z' }),
});

/**
 * Parses a feed document; `defaultSource` names marks whose row gives no source. Throws FeedError for a document that
 * is not a feed (syntax, columns, fields); the prices and currencies are checked against the ledger afterwards.
 */
export function parseFeed(text: string, format: FeedFormat, defaultSource: string): FeedMark[] {
  const rows = format === 'json' ? jsonRows(text) : csvRows(text);
  if (rows.length === 0) throw new FeedError('PRICE_FEED_INVALID', 'the feed holds no marks');
  if (rows.length > MAX_FEED_MARKS) throw new FeedError('PRICE_FEED_INVALID', `the feed holds ${rows.length.toString()} marks; at most ${MAX_FEED_MARKS.toString()} are read at once`);
  const problems: FeedProblem[] = [];
  const marks: FeedMark[] = [];
  for (const [index, raw] of rows.entries()) {
    const row = index + 1;
    const parsed = markFields.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 3)) {
        problems.push({ row, field: issue.path.map(String).join('.') || null, code: issue.code === 'unrecognized_keys' ? 'MALFORMED' : 'INVALID_FIELD', message: issue.message });
      }
      continue;
    }
    const mark = parsed.data;
    // Prices are checked with the ledger's marks (Collateral.importMarks), so that every bad row is told at once.
    marks.push({ commodity: mark.commodity, unit: mark.unit, price: mark.price, currency: mark.currency, source: mark.source ?? defaultSource, asOf: new Date(mark.asOf).toISOString() });
  }
  if (problems.length > 0) throw new FeedError('PRICE_FEED_INVALID', `the feed has ${problems.length.toString()} bad field(s); nothing was recorded`, problems);
  return marks;
}

/** Why a price is unacceptable, or undefined: a positive plain decimal (up to 15 + 6 digits). */
export function checkPrice(price: string): string | undefined {
  if (price.startsWith('-')) return `must not be negative (${price})`;
  if (!decimalPattern.test(price)) return `must be a plain decimal like "68250.5" (up to 15 integer and 6 fraction digits), not ${JSON.stringify(price)}`;
  if (/^0(\.0+)?$/.test(price)) return 'must be greater than zero';
  return undefined;
}

function jsonRows(text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FeedError('PRICE_FEED_INVALID', `the feed is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, [
      { row: 0, field: null, code: 'MALFORMED', message: 'not valid JSON' },
    ]);
  }
  const shape = z.union([z.array(z.unknown()), z.strictObject({ marks: z.array(z.unknown()) })]).safeParse(parsed);
  if (!shape.success) throw new FeedError('PRICE_FEED_INVALID', 'a JSON feed is an array of marks or an object {"marks": [...]}', [{ row: 0, field: null, code: 'MALFORMED', message: 'not an array of marks' }]);
  return Array.isArray(shape.data) ? shape.data : shape.data.marks;
}

/** The columns a CSV feed has, in any order, under a header row; `source` may be left out. */
const csvColumns = ['commodity', 'unit', 'price', 'currency', 'source', 'asOf'] as const;

/** RFC 4180 CSV: comma-separated, double quotes around fields with commas, quotes or line breaks. */
function csvRows(text: string): Record<string, string>[] {
  const records = parseCsv(text.replace(/^\uFEFF/, ''));
  const [header, ...body] = records;
  if (header === undefined) throw new FeedError('PRICE_FEED_INVALID', 'the CSV feed is empty', [{ row: 0, field: null, code: 'MALFORMED', message: 'no header row' }]);
  const names = header.map((name) => name.trim());
  const unknown = names.filter((name) => !(csvColumns as readonly string[]).includes(name));
  const missing = csvColumns.filter((column) => column !== 'source' && !names.includes(column));
  if (unknown.length > 0 || missing.length > 0 || new Set(names).size !== names.length) {
    throw new FeedError('PRICE_FEED_INVALID', `the CSV header must name the columns ${csvColumns.join(', ')} (source optional), each once`, [
      { row: 0, field: null, code: 'MALFORMED', message: [unknown.length > 0 ? `unknown column(s) ${unknown.join(', ')}` : '', missing.length > 0 ? `missing column(s) ${missing.join(', ')}` : ''].filter(Boolean).join('; ') || 'a column is named twice' },
    ]);
  }
  const problems: FeedProblem[] = [];
  const rows = body.flatMap((record, index): Record<string, string>[] => {
    if (record.length === 1 && record[0] === '') return [];
    if (record.length !== names.length) {
      problems.push({ row: index + 1, field: null, code: 'MALFORMED', message: `has ${record.length.toString()} fields, the header ${names.length.toString()}` });
      return [];
    }
    return [Object.fromEntries(names.flatMap((name, column) => (name === 'source' && record[column] === '' ? [] : [[name, record[column] ?? '']])))];
  });
  if (problems.length > 0) throw new FeedError('PRICE_FEED_INVALID', `the CSV feed has ${problems.length.toString()} malformed row(s); nothing was recorded`, problems);
  return rows;
}

function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
      continue;
    }
    if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += char;
  }
  if (quoted) throw new FeedError('PRICE_FEED_INVALID', 'the CSV feed ends inside a quoted field', [{ row: records.length, field: null, code: 'MALFORMED', message: 'unterminated quote' }]);
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** The format of a fetched feed: from its Content-Type, else the URL's suffix; JSON when neither tells. */
export function formatOf(contentType: string | null, url: string): FeedFormat {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  return new URL(url).pathname.toLowerCase().endsWith('.csv') ? 'csv' : 'json';
}

/** Fetches a feed document, bounded in time and size. Throws FeedError PRICE_FEED_UNREACHABLE. */
export async function fetchFeed(url: string, timeoutMs: number): Promise<{ text: string; format: FeedFormat }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error', headers: { accept: 'application/json, text/csv' } });
  } catch (error) {
    throw new FeedError('PRICE_FEED_UNREACHABLE', `the price feed ${url} could not be fetched: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) throw new FeedError('PRICE_FEED_UNREACHABLE', `the price feed ${url} answered HTTP ${response.status.toString()}`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_FEED_BYTES) throw new FeedError('PRICE_FEED_INVALID', `the price feed is ${declared.toString()} bytes; at most ${MAX_FEED_BYTES.toString()} are read`);
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_FEED_BYTES) throw new FeedError('PRICE_FEED_INVALID', `the price feed is over ${MAX_FEED_BYTES.toString()} bytes`);
  return { text, format: formatOf(response.headers.get('content-type'), url) };
}
