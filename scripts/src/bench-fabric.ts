/**
 * The receipt-flow benchmark on the real Fabric network of network/ beside the embedded ledger, measured in the same
 * run: draft -> confirm -> pledge -> accept -> release with 20 and 50 concurrent clients, tx/s and latency. Needs
 * FABRIC_BIN (the folder with Fabric 2.5's binaries); brings the network up and down itself (NETWORK_KEEP=1 keeps it).
 */
import type { DevCa } from '@wr/gateway-api';
import { FabricLedger } from '@wr/gateway-api/fabric';
import { gatewayBundle, networkScript as script, organisationCa } from '@wr/gateway-api/testing/fabric';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerFixture, type Actors } from './bench/ledger-fixture.js';
import { receiptFlow, timeTransitions } from './bench/receipt-flow.js';
import { row, type Summary } from './bench/stats.js';

const FLOWS = Number(process.env.BENCH_FABRIC_FLOWS ?? 200);
const CLIENT_COUNTS = [20, 50] as const;
async function actorsFrom(custodian: DevCa, lender: DevCa, borrower: DevCa): Promise<Actors> {
  return {
    clerk: await custodian.issue('clerk', 'clerk'),
    supervisor: await custodian.issue('supervisor', 'supervisor'),
    officer: await lender.issue('officer', 'officer'),
    owner: await borrower.issue('alice', 'owner'),
  };
}

async function main(): Promise<void> {
  if (!process.env.FABRIC_BIN && process.env.NETWORK_RUNTIME !== 'docker') {
    console.error('bench-fabric: FABRIC_BIN is not set (the folder with peer, orderer, configtxgen, cryptogen, osnadmin), nor NETWORK_RUNTIME=docker');
    process.exitCode = 2;
    return;
  }
  console.log(`Fabric vs embedded receipt-flow benchmark — node ${process.version}, ${FLOWS} flows (${FLOWS * 5} transactions) per run\n`);
  const dir = await mkdtemp(join(tmpdir(), 'wr-bench-fabric-'));
  script('down');
  script('up');
  script('deploy');
  script('enroll');
  const results: { clients: number; embedded: Summary; fabric: Summary; retries: number }[] = [];
  try {
    const fixture = await ledgerFixture(dir);
    const embeddedActors = await actorsFrom(fixture.custodian, fixture.lender, fixture.borrower);
    const { bundle } = await gatewayBundle();
    const fabricActors = await actorsFrom(
      await organisationCa('CustodianMSP'),
      await organisationCa('LenderMSP'),
      await organisationCa('BorrowerMSP'),
    );
    for (const clients of CLIENT_COUNTS) {
      const embeddedLedger = await fixture.open(`embedded-${clients}`);
      const embeddedFlow = receiptFlow(embeddedLedger, embeddedActors, ['MVCC_READ_CONFLICT']);
      await embeddedFlow.registerLots(clients + 1);
      const embedded = await timeTransitions(clients, FLOWS, embeddedFlow);
      await embeddedLedger.close();

      // A channel of its own for each run: an empty ledger, as the embedded side gets.
      const channel = `bench-${clients}-${Date.now().toString(36)}`;
      script('channel', channel);
      const fabricLedger = new FabricLedger({ bundle: { ...bundle, channel }, gatewayMspId: 'CustodianMSP', eventReader: fabricActors.clerk });
      // On Fabric a lost race may also surface as ENDORSEMENT_POLICY_FAILURE (the key's policy changed in the block).
      const fabricFlow = receiptFlow(fabricLedger, fabricActors, ['MVCC_READ_CONFLICT', 'ENDORSEMENT_POLICY_FAILURE']);
      await fabricFlow.registerLots(clients + 1);
      const fabric = await timeTransitions(clients, FLOWS, fabricFlow);
      await fabricLedger.close();
      console.log(row(`embedded, ${clients} concurrent clients`, embedded.summary, 'tx'));
      console.log(row(`Fabric 2.5 (3 peers, raft), ${clients} clients`, fabric.summary, 'tx'));
      results.push({ clients, embedded: embedded.summary, fabric: fabric.summary, retries: fabric.retries });
    }
    console.log('\nFabric against embedded, same run (BatchTimeout 200 ms, all processes on this machine):');
    for (const { clients, embedded, fabric, retries } of results) {
      console.log(
        `  ${clients} clients: ${fabric.perSecond.toFixed(0)} vs ${embedded.perSecond.toFixed(0)} tx/s (${(fabric.perSecond / embedded.perSecond).toFixed(2)}x); ` +
          `p50 ${fabric.p50.toFixed(0)} vs ${embedded.p50.toFixed(1)} ms, p99 ${fabric.p99.toFixed(0)} vs ${embedded.p99.toFixed(1)} ms; Fabric retries ${retries}`,
      );
    }
  } finally {
    if (process.env.NETWORK_KEEP !== '1') script('down');
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
