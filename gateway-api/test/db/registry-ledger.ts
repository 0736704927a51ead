import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectionReader } from '../../src/modules/receipts/projection.js';
import { openDevCa } from '../../src/identity/dev-ca.js';
import { LedgerError } from '../../src/ledger/errors.js';
import { EmbeddedLedger } from '../../src/ledger/embedded/index.js';
import type { Identity, LedgerEvent } from '../../src/ledger/port.js';

/** The people of the projection tests: [MSP, CN, role] as their certificates say. */
export const castRoles = {
  clerk: ['CustodianMSP', 'zhang', 'clerk'],
  supervisor: ['CustodianMSP', 'li', 'supervisor'],
  custodianAuditor: ['CustodianMSP', 'zhao', 'auditor'],
  officer: ['LenderMSP', 'wang', 'officer'],
  lenderAuditor: ['LenderMSP', 'sun', 'auditor'],
  alice: ['BorrowerMSP', 'alice', 'owner'],
  bob: ['BorrowerMSP', 'bob', 'owner'],
  borrowerAuditor: ['BorrowerMSP', 'qian', 'auditor'],
} as const;

export type CastMember = keyof typeof castRoles;

/** An embedded ledger running the registry chaincode, with the three organisations' dev CAs. */
export interface RegistryLedger {
  readonly ledger: EmbeddedLedger;
  readonly cast: Readonly<Record<CastMember, Identity>>;
  /** The block of the last transaction submitted through `submit`. */
  readonly lastBlock: () => bigint;
  submit(who: CastMember, tx: string, ...args: string[]): Promise<unknown>;
  /** Evaluates and parses the JSON result; undefined when the chaincode answers NOT_FOUND. */
  evaluate(who: CastMember, tx: string, ...args: string[]): Promise<unknown>;
  /** GetReceipt / GetLot as the custodian's auditor: what the gateway gives the projection. */
  readonly reader: ProjectionReader;
  /** Every event on the ledger up to `lastBlock`, in ledger order. */
  events(): Promise<LedgerEvent[]>;
  close(): Promise<void>;
}

export async function openRegistryLedger(): Promise<RegistryLedger> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-projection-ledger-'));
  const cas = await Promise.all(
    ['CustodianMSP', 'LenderMSP', 'BorrowerMSP'].map((mspId) => openDevCa(join(dir, 'ca'), mspId)),
  );
  const ledger = await EmbeddedLedger.open({
    dataDir: join(dir, 'ledger'),
    orgs: cas.map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate })),
  });
  const entries = await Promise.all(
    Object.entries(castRoles).map(async ([name, [mspId, user, role]]) => {
      const ca = cas.find((candidate) => candidate.mspId === mspId);
      if (ca === undefined) throw new Error(`no CA for ${mspId}`);
      return [name, await ca.issue(user, role)] as const;
    }),
  );
  const cast = Object.fromEntries(entries) as Record<CastMember, Identity>;
  const parse = (bytes: Uint8Array): unknown =>
    bytes.length === 0 ? undefined : (JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown);
  let lastBlock = 0n;

  const evaluate = async (who: CastMember, tx: string, ...args: string[]): Promise<unknown> => {
    try {
      return parse(await ledger.evaluate(cast[who], tx, args));
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  };

  return {
    ledger,
    cast,
    lastBlock: () => lastBlock,
    async submit(who, tx, ...args) {
      const result = await ledger.submit(cast[who], tx, args);
      lastBlock = result.blockNumber;
      return parse(result.result);
    },
    evaluate,
    reader: {
      receipt: (id) => evaluate('custodianAuditor', 'GetReceipt', id),
      lot: (id) => evaluate('custodianAuditor', 'GetLot', id),
    },
    async events() {
      const events: LedgerEvent[] = [];
      const done = new AbortController();
      if (lastBlock === 0n) return events;
      for await (const event of ledger.events(0n, done.signal)) {
        events.push(event);
        // Transactions here are submitted one at a time, so the last block holds exactly one event.
        if (event.blockNumber >= lastBlock) break;
      }
      return events;
    },
    async close() {
      await ledger.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A `RegisterLot` argument. */
export function lotJson(id: string, warehouseId: string, quantity: string): string {
  return JSON.stringify({ id, warehouseId, location: 'Qingdao A-3', commodity: 'aluminium', unit: 't', quantity });
}

/** A `DraftReceipt` argument. */
export function draftJson(id: string, lotId: string, owner: string, quantity: string): string {
  return JSON.stringify({ id, lotId, owner, quantity });
}

/** A `RequestPledge` argument naming LenderMSP. */
export function pledgeJson(loanReference: string): string {
  return JSON.stringify({ lender: 'LenderMSP', loanReference, loanAmount: '500000', currency: 'CNY' });
}

/** Drafts a receipt and has another person confirm it. */
export async function issue(world: RegistryLedger, id: string, lotId: string, owner: string, quantity: string): Promise<void> {
  await world.submit('clerk', 'DraftReceipt', draftJson(id, lotId, owner, quantity));
  await world.submit('supervisor', 'ConfirmReceipt', id);
}

