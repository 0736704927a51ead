import type { Context } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';
import type { z } from 'zod';
import { notFound } from './errors';
import { indexValue, lotKey, receiptIndexKeys, receiptKey } from './keys';
import { marshal, unmarshal } from './marshal';
import { lot as lotSchema, receipt as receiptSchema, type Lot, type Receipt } from './model';
import type { Caller } from './roles';
import { canSeeLot, canSeeReceipt } from './visibility';

/** The transaction time as ISO text: the only clock chaincode may read, identical on every endorser. */
export function now(ctx: Context): string {
  return ctx.stub.getDateTimestamp().toISOString();
}

/** Reads and parses a record; undefined when the key is absent. */
export async function readRecord<T>(
  ctx: Context,
  key: string,
  schema: z.ZodType<T>,
  what: string,
): Promise<T | undefined> {
  const bytes = await ctx.stub.getState(key);
  return bytes.length === 0 ? undefined : unmarshal(bytes, schema, what);
}

/** True when the key holds a value in committed state. */
export async function keyExists(ctx: Context, key: string): Promise<boolean> {
  const bytes = await ctx.stub.getState(key);
  return bytes.length > 0;
}

/** Loads a receipt regardless of who asks (for internal bookkeeping, never returned unchecked). */
export function loadReceipt(ctx: Context, id: string): Promise<Receipt | undefined> {
  return readRecord(ctx, receiptKey(ctx, id), receiptSchema, `receipt ${id}`);
}

/** Loads a receipt the caller may see; absent and invisible are the same NOT_FOUND. */
export async function loadVisibleReceipt(ctx: Context, caller: Caller, id: string): Promise<Receipt> {
  const receipt = await loadReceipt(ctx, id);
  if (receipt === undefined || !canSeeReceipt(caller, receipt)) {
    throw notFound(`receipt ${id}`);
  }
  return receipt;
}

/** Loads a lot the caller may see; absent and invisible are the same NOT_FOUND. */
export async function loadVisibleLot(ctx: Context, caller: Caller, id: string): Promise<Lot> {
  const lot = await readRecord(ctx, lotKey(ctx, id), lotSchema, `lot ${id}`);
  if (lot === undefined || !canSeeLot(caller, lot)) {
    throw notFound(`lot ${id}`);
  }
  return lot;
}

/**
 * Writes a record and its key-level endorsement policy: later writes to the key need every listed org's endorsement
 * (on Fabric; the chaincode only declares it).
 */
export async function putRecord(
  ctx: Context,
  key: string,
  record: unknown,
  endorsers: readonly string[],
): Promise<void> {
  await ctx.stub.putState(key, marshal(record));
  const policy = new KeyEndorsementPolicy();
  // Sorted: the policy bytes list orgs in insertion order and must be identical on every endorser.
  // PEER, like the chaincode-level policy (OR('CustodianMSP.peer')): with the same principal the Gateway service's
  // discovery sees one group per organisation; MEMBER made a second custodian group that one peer could not fill.
  policy.addOrgs('PEER', ...[...new Set(endorsers)].sort());
  await ctx.stub.setStateValidationParameter(key, policy.getPolicy());
}

/** Orgs that must endorse changes to a receipt: a pledged or defaulted receipt also needs its lender. */
export function receiptEndorsers(receipt: Receipt): string[] {
  const { pledge, status } = receipt;
  return (status === 'PLEDGED' || status === 'DEFAULTED') && pledge !== null
    ? [receipt.custodian, pledge.lender]
    : [receipt.custodian];
}

/**
 * Writes a receipt stamped with this transaction, and brings its index entries in step: entries the old version had
 * and the new one has not are deleted, new ones added. Call once per receipt per transaction (no read-your-writes).
 */
export async function writeReceipt(ctx: Context, before: Receipt | undefined, after: Receipt): Promise<Receipt> {
  const stamped: Receipt = { ...after, updatedAt: now(ctx), lastTxId: ctx.stub.getTxID() };
  const oldKeys = before === undefined ? [] : receiptIndexKeys(ctx, before);
  const newKeys = receiptIndexKeys(ctx, stamped);
  for (const key of oldKeys.filter((candidate) => !newKeys.includes(candidate))) {
    await ctx.stub.deleteState(key);
  }
  for (const key of newKeys.filter((candidate) => !oldKeys.includes(candidate))) {
    await ctx.stub.putState(key, indexValue);
  }
  await putRecord(ctx, receiptKey(ctx, stamped.id), stamped, receiptEndorsers(stamped));
  return stamped;
}

/** Writes a lot; only its custodian endorses lot changes. */
export async function writeLot(ctx: Context, lot: Lot): Promise<void> {
  await putRecord(ctx, lotKey(ctx, lot.id), lot, [lot.custodian]);
}

/** Adds an index entry. */
export async function putIndex(ctx: Context, type: string, attributes: readonly string[]): Promise<void> {
  await ctx.stub.putState(ctx.stub.createCompositeKey(type, [...attributes]), indexValue);
}

/** The last attribute of every index key under a prefix, in key order (the listed objects' ids). */
export async function indexedIds(ctx: Context, type: string, prefix: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for await (const entry of ctx.stub.getStateByPartialCompositeKey(type, [...prefix])) {
    const id = ctx.stub.splitCompositeKey(entry.key).attributes.at(-1);
    if (id !== undefined) {
      ids.push(id);
    }
  }
  return ids;
}

/** Sets the transaction's one event (Fabric keeps only the last), always carrying the transaction id. */
export function emit(ctx: Context, name: string, payload: Readonly<Record<string, unknown>>): void {
  ctx.stub.setEvent(name, marshal({ ...payload, txId: ctx.stub.getTxID() }));
}
