/**
 * The real Fabric network of network/ as tests and benchmarks drive it: its scripts, its files, the gateway's
 * connection bundle, and each organisation's CA (to issue test users with a `role` attribute as Fabric CA would).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { caFromPem, type DevCa } from '../identity/dev-ca.js';
import { loadConnectionBundle } from '../ledger/fabric/fabric-ledger.js';

/** The repository's network/ folder (this module is gateway-api/dist/src/testing/). */
export const networkHome = join(import.meta.dirname, '..', '..', '..', '..', 'network');
/** Where the running network keeps its files (NETWORK_DIR, default network/.run). */
export const networkDir = process.env.NETWORK_DIR ?? join(networkHome, '.run');

/** Runs one of network/'s scripts; throws with its output when it fails. */
export function networkScript(name: string, ...args: string[]): void {
  const result = spawnSync(join(networkHome, name), args, { encoding: 'utf8', env: process.env, timeout: 300_000 });
  if (result.status !== 0) {
    throw new Error(`network/${name} ${args.join(' ')} failed (exit ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  }
}

/** The gateway's connection bundle and wallet, as network/enroll wrote them. */
export function gatewayBundle(): ReturnType<typeof loadConnectionBundle> {
  return loadConnectionBundle(join(networkDir, 'gateway', 'connection.json'));
}

const domains: Readonly<Record<string, string>> = {
  CustodianMSP: 'custodian.receipts.local',
  LenderMSP: 'lender.receipts.local',
  BorrowerMSP: 'borrower.receipts.local',
};

/** An organisation's CA as cryptogen made it in the running network. */
export async function organisationCa(mspId: string): Promise<DevCa> {
  const domain = domains[mspId];
  if (!domain) throw new Error(`no organisation ${mspId} on the network`);
  const ca = join(networkDir, 'organizations', 'peerOrganizations', domain, 'ca');
  return caFromPem(mspId, await readFile(join(ca, `ca.${domain}-cert.pem`), 'utf8'), await readFile(join(ca, 'priv_sk'), 'utf8'));
}
