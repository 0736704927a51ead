import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { idPattern, refIdPattern } from '@wr/chaincode/model';
import { decimalPattern } from '@wr/chaincode/quantity';
import { z } from 'zod';

extendZodWithOpenApi(z);

/**
 * The request fields every module's schemas are built from. They use the chaincode's own id and decimal patterns, so
 * a request the gateway accepts is one the chaincode can parse; the chaincode still checks every rule itself.
 */

/** Bidirectional overrides and zero-width characters: invisible, and able to make a text read differently than it is. */
const invisibleControls = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u;

export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => value.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')
    .refine((value) => !/[\p{Cc}]/u.test(value.replaceAll(/[\n\t]/g, '')), 'must not contain control characters')
    .refine((value) => !invisibleControls.test(value), 'must not contain bidirectional or zero-width control characters')
    .refine((value) => /\S/.test(value), 'must not be blank');

export const id = z.string().regex(idPattern, 'must be 1-64 letters, digits, ".", "_" or "-", not starting with a symbol').openapi({ example: 'WR-2026-0001' });
export const refId = z.string().regex(refIdPattern, 'must be an id (letters, digits, ".", "_" or "-")').openapi({ example: 'WR-2026-0001' });
export const decimal = z
  .string()
  .regex(decimalPattern, 'must be a plain decimal string like "1000.5" (up to 15 integer and 6 fraction digits)')
  .openapi({ example: '1000.005', description: 'exact decimal as a string; never a JSON number' });
export const userId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/, 'must be a user id like "alice"').openapi({ example: 'alice' });
export const mspId = z.string().regex(/^[A-Za-z][A-Za-z0-9.-]{0,63}$/, 'must be an MSP id like "LenderMSP"').openapi({ example: 'LenderMSP' });
export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
export const hash0x = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x and 64 lowercase hex digits (32 bytes)');

export const idParams = z.strictObject({ id: refId });

export const emptyBody = z.strictObject({}).openapi('Empty', { example: {} });
