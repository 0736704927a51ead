/**
 * Enrols the gateway's identities on a real network: for each organisation, client certificates carrying the `role`
 * attribute (Fabric CA's extension 1.2.3.4.5.6.7.8.1), signed by the organisation's CA, into a wallet, plus the
 * connection bundle the gateway's Fabric backend reads. Run by network/enroll, which passes the network's layout.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { supervisionSpec } from '../modules/alarms/index.js';
import { anchorSpec } from '../modules/anchoring/index.js';
import { oracleSpec } from '../modules/collateral/index.js';
import { projectorSpec } from '../modules/receipts/index.js';
import { caFromPem } from '../identity/dev-ca.js';
import { demoIdentities, mspOf } from '../identity/dev-identities.js';
import { fileWallet } from '../identity/wallet.js';

const peerSpec = z
  .string()
  .transform((text) => text.split('='))
  .pipe(z.tuple([z.string().min(1), z.string().regex(/^[\w.-]+:\d+$/), z.string().min(1), z.string().min(1), z.string().min(1)]))
  .transform(([mspId, endpoint, hostAlias, caCert, caKey]) => ({ mspId, endpoint, hostAlias, caCert, caKey }));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'tls-ca': { type: 'string' }, peers: { type: 'string' }, channel: { type: 'string' }, chaincode: { type: 'string' } },
  });
  const options = z
    .object({ out: z.string(), 'tls-ca': z.string(), peers: z.string(), channel: z.string().default('receipts'), chaincode: z.string().default('receipts') })
    .parse(values);
  const peers = options.peers.split(',').filter((entry) => entry !== '').map((entry) => peerSpec.parse(entry));
  const tlsRootCert = await readFile(options['tls-ca'], 'utf8');
  const wallet = fileWallet(join(options.out, 'wallet'));
  await mkdir(options.out, { recursive: true, mode: 0o700 });

  const identities: string[] = [];
  for (const peer of peers) {
    const ca = await caFromPem(peer.mspId, await readFile(peer.caCert, 'utf8'), await readFile(peer.caKey, 'utf8'));
    for (const spec of demoIdentities.filter((candidate) => mspOf[candidate.org] === peer.mspId)) {
      await wallet.put(spec.id, await ca.issue(spec.user, spec.role));
      identities.push(spec.id);
    }
    // The gateway's own service identities, as in embedded mode: the projection's reader, the anchoring worker, the
    // alarms' recorder of risk events and stock counts, and the price feed's oracle.
    for (const spec of [projectorSpec, anchorSpec, supervisionSpec, oracleSpec].filter((candidate) => mspOf[candidate.org] === peer.mspId)) {
      await wallet.put(spec.id, await ca.issue(spec.user, spec.role));
      identities.push(spec.id);
    }
  }
  const bundle = {
    channel: options.channel,
    chaincode: options.chaincode,
    tlsRootCert,
    peers: peers.map(({ mspId, endpoint, hostAlias }) => ({ mspId, endpoint, hostAlias })),
    wallet: 'wallet',
    identities,
  };
  await writeFile(join(options.out, 'connection.json'), `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o600 });
  console.log(`enrolled ${identities.length} identities; bundle ${join(options.out, 'connection.json')}`);
}

main().catch((error: unknown) => {
  console.error(`fabric-enroll: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
