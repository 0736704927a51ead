/**
 * Embedded-ledger benchmark: blind writes and the receipt flow (draft -> confirm -> pledge -> accept -> release),
 * sequential and with 20 concurrent clients, against a baseline measured in the same run: the same number of
 * records appended to a file with one fdatasync each, the floor under any ledger that acknowledges durably.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlindWriteContract } from './bench/blind-write-contract.js';
import { actorsOf, ledgerFixture } from './bench/ledger-fixture.js';
import { receiptFlow, timeTransitions } from './bench/receipt-flow.js';
import { drive, row, type Summary } from './bench/stats.js';

const BLIND_WRITES = Number(process.env.BENCH_BLIND_WRITES ?? 4000);
const FLOWS = Number(process.env.BENCH_FLOWS ?? 400);
const CLIENTS = 20;

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
    const flow = receiptFlow(receipts, await actorsOf(fixture), ['MVCC_READ_CONFLICT']);
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

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
