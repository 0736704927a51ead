import { LedgerError, type Identity, type LedgerPort } from '@wr/gateway-api';
import { lotJson, pledgeFlow, type Actors } from './ledger-fixture.js';
import { summarise, type Summary } from './stats.js';

const TRANSITIONS_PER_FLOW = 5;

/** The receipt flow (draft, confirm, pledge, accept, release); each worker drafts on its own lot, so that drafts of different workers do not conflict. */
export function receiptFlow(ledger: Pick<LedgerPort, 'submit'>, actors: Actors, retryable: readonly string[]) {
  let retries = 0;
  const submit = async (who: Identity, tx: string, args: string[]): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      const t = performance.now();
      try {
        await ledger.submit(who, tx, args);
        return performance.now() - t;
      } catch (error) {
        // As a client of Fabric would: retry only a lost race, with fresh simulation.
        if (!(error instanceof LedgerError) || !retryable.includes(error.code) || attempt >= 5) throw error;
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

export async function timeTransitions(
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
