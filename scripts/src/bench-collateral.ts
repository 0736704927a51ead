/**
 * Collateral benchmark (docs/collateral.md): one new price mark re-marks every loan holding the commodity.
 *
 * 10,000 loans, each one receipt of the same commodity, are put straight into the projected tables (loans, receipts);
 * each round then stores one `PriceRecorded` ledger event, as the projection would, and times marking's whole pass
 * over it (`markNextEvents`: the mark kept, the 10,000 loans found, valued with the chaincode's valueLoan, their
 * valuations, history rows, margin calls and events written, the cursor moved, in one transaction). Rounds alternate
 * between a mark that moves every LTV without crossing a line and one that crosses the warning line for every loan
 * (10,000 calls opened, then cured), the worst case. Goal: <= 1 s for 10,000 loans.
 *
 * Baseline, in the same run: a plain in-memory loop calling valueLoan over the same 10,000 loans and marks.
 * A mark is one ledger transaction per commodity mark however many loans it re-marks (RecordPrice writes the mark and
 * the commodity's head, nothing per loan); the tests check the block count.
 *
 * Sizes: BENCH_COLLATERAL_LOANS (10,000), BENCH_COLLATERAL_ROUNDS (4 typical marks, then 4 crossing ones). DATABASE_URL:
 * PostgreSQL instead of PGlite (its own commodity and loan references each run).
 */
import { valueLoan, type Holding, type MarkInForce } from '@wr/chaincode/valuation';
import { markNextEvents, openDatabase } from '@wr/gateway-api/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDatabase } from './bench/devices.js';

const LOANS = Number(process.env.BENCH_COLLATERAL_LOANS ?? 10_000);
const ROUNDS = Math.max(2, Number(process.env.BENCH_COLLATERAL_ROUNDS ?? 4));
const GOAL_MS = 1_000;
const commodity = `bench-copper-${Date.now().toString(36)}`;
const terms = { haircut: '0.1', warningLtv: '0.7', liquidationLtv: '0.85', cureHours: 72 };

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wr-bench-collateral-'));
  const databaseUrl = process.env.DATABASE_URL;
  const db = await openDatabase({ databaseUrl, dataDir });
  try {
    console.log(`collateral: ${LOANS.toString()} loans on ${describeDatabase(databaseUrl ?? '')}`);
    const at = new Date().toISOString();
    const loans = Array.from({ length: LOANS }, (_, index) => ({
      docType: 'loan',
      lender: 'LenderMSP',
      loanReference: `BENCH-${commodity}-${index.toString()}`,
      borrower: { mspId: 'BorrowerMSP', id: `owner${(index % 50).toString()}` },
      currency: 'CNY',
      principal: '60000',
      repaid: '0',
      outstanding: (50_000 + (index % 1000) * 10).toString(),
      terms,
      openedBy: 'officer',
      openedAt: at,
      updatedAt: at,
      lastTxId: 'bench',
    }));
    await db.query(
      `INSERT INTO loans (lender, loan_reference, borrower_msp, borrower_id, currency, document, updated_block)
       SELECT l->>'lender', l->>'loanReference', l->'borrower'->>'mspId', l->'borrower'->>'id', l->>'currency', l, 0 FROM jsonb_array_elements($1::jsonb) AS l`,
      [JSON.stringify(loans)],
    );
    await db.query(
      `INSERT INTO receipts (id, lot_id, warehouse_id, custodian_msp, owner_msp, owner_id, status, quantity, unit, commodity, pledge_lender, pledge_status, frozen, parent_id, updated_block, updated_tx, document)
       SELECT 'WR-' || (l->>'loanReference'), 'LOT-BENCH', 'WH-BENCH', 'CustodianMSP', 'BorrowerMSP', l->'borrower'->>'id', 'PLEDGED', 10.5, 't', $2, 'LenderMSP', 'ACTIVE', false, NULL, 0, 'bench',
              jsonb_build_object('pledge', jsonb_build_object('lender', 'LenderMSP', 'loanReference', l->>'loanReference'))
       FROM jsonb_array_elements($1::jsonb) AS l`,
      [JSON.stringify(loans), commodity],
    );
    // 10.5 t × price × 0.9 against 50,000 to 59,990 outstanding: at 9400 down to 9250 (value 88,830 to 87,412.5) every
    // loan stays under the warning line (LTV at most 0.686); at 7500 (value 70,875) every loan is between the lines
    // (0.705 to 0.846).
    // First a mark for loans never valued, then typical marks (every LTV moves, no line is crossed), then marks that
    // cross the warning line for every loan: 10,000 calls opened, then cured (the worst case).
    const rounds: { price: string; kind: 'first' | 'typical' | 'crossing' }[] = [
      { price: '9500', kind: 'first' },
      ...Array.from({ length: ROUNDS }, (_, index) => ({ price: (9400 - index * 50).toString(), kind: 'typical' as const })),
      ...Array.from({ length: Math.max(2, Math.floor(ROUNDS / 2) * 2) }, (_, index) => ({ price: index % 2 === 0 ? '7500' : '9500', kind: 'crossing' as const })),
    ];
    const holdings: Holding[] = [{ commodity, unit: 't', quantity: '10.5' }];
    const timings: { price: string; kind: string; ms: number; loans: number }[] = [];
    let block = 1;
    for (const [round, { price, kind }] of rounds.entries()) {
      const asOf = new Date(Date.now() - 600_000 + round).toISOString();
      const mark = { docType: 'price', commodity, unit: 't', price, currency: 'CNY', source: 'bench', asOf, recordedBy: 'oracle', recordedAt: asOf, txId: `bench-${round.toString()}` };
      await db.query(
        `INSERT INTO ledger_events (block_number, tx_index, tx_id, event_name, payload, tx_timestamp) VALUES ($1, 0, $2, 'PriceRecorded', $3::jsonb, $4)`,
        [block++, `bench-tx-${commodity}-${round.toString()}`, JSON.stringify({ price: mark, latest: true, txId: mark.txId }), asOf],
      );
      const started = performance.now();
      const applied = await db.transaction((tx) => markNextEvents(tx, 500));
      timings.push({ price, kind, ms: performance.now() - started, loans: applied.loans });
    }

    const marks = new Map<string, MarkInForce>([[commodity, { commodity, unit: 't', price: '7500', currency: 'CNY', asOf: at }]]);
    const baseline: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      let warning = 0;
      for (const loan of loans) if (valueLoan(loan, holdings, marks).band !== 'OK') warning++;
      baseline.push(performance.now() - started);
      if (warning !== LOANS) throw new Error(`the baseline found ${warning.toString()} loans in warning, not ${LOANS.toString()}`);
    }
    const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    for (const timing of timings) console.log(`  ${timing.kind.padEnd(8)} mark ${timing.price.padStart(5)}: marked ${timing.loans.toString()} loans in ${timing.ms.toFixed(0).padStart(5)} ms`);
    const typical = median(timings.filter((timing) => timing.kind === 'typical').map((timing) => timing.ms));
    const crossing = median(timings.filter((timing) => timing.kind === 'crossing').map((timing) => timing.ms));
    const loop = median(baseline);
    console.log(`  one mark re-marks ${LOANS.toString()} loans (median, no line crossed): ${typical.toFixed(0)} ms (goal <= ${GOAL_MS.toString()} ms) ${typical <= GOAL_MS ? 'met' : 'NOT met'}`);
    console.log(`  one mark crossing the warning line for every loan (median): ${crossing.toFixed(0)} ms (${LOANS.toString()} calls opened or cured, with their events)`);
    console.log(`  baseline, valueLoan over the same loans in memory: ${loop.toFixed(1)} ms; marking / baseline = ${(typical / loop).toFixed(1)}x (crossing ${(crossing / loop).toFixed(1)}x)`);
  } finally {
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
