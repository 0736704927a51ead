import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDevCa, type DevCa } from '../../src/identity/dev-ca.js';
import { EmbeddedLedger } from '../../src/ledger/embedded/index.js';
import { KvContract } from './kv-contract.js';

/** A temp folder with two orgs' dev CAs, and ledgers over the key-value test contract. */
export interface KvFixture {
  readonly dir: string;
  readonly custodian: DevCa;
  readonly lender: DevCa;
  open(ledgerDir?: string): Promise<EmbeddedLedger>;
  cleanup(): Promise<void>;
}

export async function kvFixture(): Promise<KvFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-ledger-'));
  const custodian = await openDevCa(join(dir, 'ca'), 'CustodianMSP');
  const lender = await openDevCa(join(dir, 'ca'), 'LenderMSP');
  return {
    dir,
    custodian,
    lender,
    open: (ledgerDir = 'ledger') =>
      EmbeddedLedger.open({
        dataDir: join(dir, ledgerDir),
        contracts: [KvContract],
        orgs: [custodian, lender].map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate })),
      }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
