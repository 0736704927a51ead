import { caFromPem, type DevCa } from '@wr/gateway-api';
import { loadConnectionBundle } from '@wr/gateway-api/fabric';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real Fabric network of network/ as the integration tests use it: brought up once for a run (see
 * network-hooks.ts), with a fresh channel for every fixture that needs an empty ledger.
 */
export const networkHome = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'network');
export const networkDir = process.env.NETWORK_DIR ?? join(networkHome, '.run');

/** Whether this run drives the lifecycle suite through the Fabric backend (npm run test:fabric sets it). */
export const onFabric = (): boolean => process.env.WR_LEDGER === 'fabric';

/** Why a Fabric test cannot run here, or undefined when FABRIC_BIN names the binaries (or NETWORK_RUNTIME=docker). */
export function fabricUnavailable(): string | undefined {
  if (process.env.FABRIC_BIN || process.env.NETWORK_RUNTIME === 'docker') return undefined;
  const reason = 'FABRIC_BIN is not set (it names the folder with peer, orderer, configtxgen, cryptogen, osnadmin)';
  if (process.env.FABRIC_REQUIRED === '1') throw new Error(reason);
  return reason;
}

/** Runs one of network/'s scripts; throws with its output when it fails. */
export function networkScript(name: string, ...args: string[]): void {
  const result = spawnSync(join(networkHome, name), args, { encoding: 'utf8', env: process.env, timeout: 300_000 });
  if (result.status !== 0) {
    throw new Error(`network/${name} ${args.join(' ')} failed (exit ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  }
}

let channels = 0;

/** A new channel with the chaincode committed on it: an empty ledger on the same peers. */
export function freshChannel(): string {
  const name = `t${Date.now().toString(36)}-${(++channels).toString()}`;
  networkScript('channel', name);
  return name;
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

/** An organisation's CA (cryptogen's), to issue test users with a `role` attribute as Fabric CA would. */
export async function organisationCa(mspId: string): Promise<DevCa> {
  const domain = domains[mspId];
  if (!domain) throw new Error(`no organisation ${mspId} on the network`);
  const ca = join(networkDir, 'organizations', 'peerOrganizations', domain, 'ca');
  return caFromPem(mspId, await readFile(join(ca, `ca.${domain}-cert.pem`), 'utf8'), await readFile(join(ca, 'priv_sk'), 'utf8'));
}
