/**
 * Embedded-ledger benchmark: blind writes and the receipt flow (draft -> confirm -> pledge -> accept -> release),
 * sequential and with 20 concurrent clients, against a baseline measured in the same run: the same number of
 * records appended to a file with one fdatasync each, the floor under any ledger that acknowledges durably.
 */
import { LedgerError, type EmbeddedLedger, type Identity } from '@wr/gateway-api';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlindWriteContract } from './bench/blind-write-contract.js';
import { actorsOf, ledgerFixture, lotJson, pledgeFlow, type Actors } from './bench/ledger-fixture.js';
import { drive, row, summarise, type Summary } from './bench/stats.js';

const BLIND_WRITES = Number(process.env.BENCH_BLIND_WRITES ?? 4000);
const FLOWS = Number(process.env.BENCH_FLOWS ?? 400);
const CLIENTS = 20;
const TRANSITIONS_PER_FLOW = 5;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-bench-'));
  try {
    console.log(`embedded ledger benchmark — node ${process.version}, ${BLIND_WRITES} blind writes, ${FLOWS} receipt flows per run\n`);
    const baseline = await fsyncBaseline(join(dir, 'baseline.log'), BLIND_WRITES);
    console.log(row('baseline: append + fdatasync, sequential', baseline, 'rec'));

    const fixture = await ledgerFixture(dir);
    const blind = await fixture.open('blind', [BlindWriteContract]);
    const writer = await fixture.custodian.issue('bench', 'clerk');
    const blindSequential = await drive(1, BLIND_WRITES, async (_, i) => void (await blind.submit(writer, 'Put', [`s${i}`, 'v'])));
    console.log(row('blind writes, sequential', blindSequential, 'tx'));
    const blindConcurrent = await drive(CLIENTS, BLIND_WRITES, async (_, i) => void (await blind.submit(writer, 'Put', [`c${i}`, 'v'])));
    console.log(row(`blind writes, ${CLIENTS} concurrent clients`, blindConcurrent, 'tx'));
    await blind.close();

    const receipts = await fixture.open('receipts');
    const flow = receiptFlow(receipts, await actorsOf(fixture));
    await flow.registerLots(CLIENTS + 1);
    const flowSequential = await timeTransitions(1, FLOWS, flow);
    console.log(row('receipt transitions, sequential', flowSequential.summary, 'tx'));
    const flowConcurrent = await timeTransitions(CLIENTS, FLOWS, flow);
    console.log(row(`receipt transitions, ${CLIENTS} concurrent clients`, flowConcurrent.summary, 'tx'));
    console.log(`  MVCC retries: sequential ${flowSequential.retries}, concurrent ${flowConcurrent.retries}`);
    await receipts.close();

    console.log('\nagainst the goals (issue 2) and the baseline:');
    console.log(`  blind writes, ${CLIENTS} clients: ${blindConcurrent.perSecond.toFixed(0)} tx/s (goal >= 1000: ${verdict(blindConcurrent.perSecond >= 1000)})`);
    console.log(`  receipt transitions, ${CLIENTS} clients: ${flowConcurrent.summary.perSecond.toFixed(0)} tx/s (goal >= 300: ${verdict(flowConcurrent.summary.perSecond >= 300)})`);
    console.log(`  sequential p95: blind ${blindSequential.p95.toFixed(2)} ms, receipt ${flowSequential.summary.p95.toFixed(2)} ms (goal <= 20 ms: ${verdict(Math.max(blindSequential.p95, flowSequential.summary.p95) <= 20)})`);
    console.log(`  sequential blind write latency / fdatasync append latency: p50 ${(blindSequential.p50 / baseline.p50).toFixed(1)}x`);
    console.log(`  concurrent blind writes / sequential fdatasync appends: ${(blindConcurrent.perSecond / baseline.perSecond).toFixed(2)}x (group commit)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}

async function fsyncBaseline(path: string, count: number): Promise<Summary> {
  const file = await open(path, 'a');
  const record = `${'x'.repeat(1500)}\n`;
  try {
    return await drive(1, count, async () => {
      await file.write(record);
      await file.datasync();
    });
  } finally {
    await file.close();
  }
}

/** The receipt flow; each worker drafts on its own lot, so that drafts of different workers do not conflict. */
function receiptFlow(ledger: EmbeddedLedger, actors: Actors) {
  let retries = 0;
  const submit = async (who: Identity, tx: string, args: string[]): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      const t = performance.now();
      try {
        await ledger.submit(who, tx, args);
        return performance.now() - t;
      } catch (error) {
        // As a client of Fabric would: retry only an MVCC conflict, with fresh simulation.
        if (!(error instanceof LedgerError) || error.code !== 'MVCC_READ_CONFLICT' || attempt >= 5) throw error;
        retries++;
      }
    }
  };
  let nextReceipt = 0;
  return {
    get retries() {
      return retries;
    },
    async registerLots(count: number): Promise<void> {
      for (let lot = 0; lot < count; lot++) await submit(actors.clerk, 'RegisterLot', [lotJson(`LOT-${lot}`)]);
    },
    run: async (worker: number, latencies: number[]): Promise<void> => {
      for (const [who, tx, args] of pledgeFlow(actors, `R-${nextReceipt++}`, `LOT-${worker}`)) latencies.push(await submit(who, tx, args));
    },
  };
}

async function timeTransitions(
  clients: number,
  flows: number,
  flow: ReturnType<typeof receiptFlow>,
): Promise<{ summary: Summary; retries: number }> {
  const latencies: number[] = [];
  const retriesBefore = flow.retries;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, worker) => {
      for (let i = worker; i < flows; i += clients) await flow.run(worker, latencies);
    }),
  );
  const summary = summarise(latencies, (performance.now() - started) / 1000);
  if (summary.count !== flows * TRANSITIONS_PER_FLOW) throw new Error('a flow lost a transition');
  return { summary, retries: flow.retries - retriesBefore };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
