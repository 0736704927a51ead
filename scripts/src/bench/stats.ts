/** Latency samples in milliseconds, summarised. */
export interface Summary {
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export function summarise(latencies: readonly number[], seconds: number): Summary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { count: sorted.length, seconds, perSecond: sorted.length / seconds, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** Runs `work(worker, i)` `total` times split over `clients` concurrent workers; returns per-call latencies. */
export async function drive(clients: number, total: number, work: (worker: number, i: number) => Promise<void>): Promise<Summary> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, worker) => {
      for (let i = worker; i < total; i += clients) {
        const t = performance.now();
        await work(worker, i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return summarise(latencies, (performance.now() - started) / 1000);
}

export function row(label: string, summary: Summary, unit: string): string {
  return [
    label.padEnd(44),
    `${summary.perSecond.toFixed(0).padStart(7)} ${unit}/s`,
    `p50 ${summary.p50.toFixed(2).padStart(7)} ms`,
    `p95 ${summary.p95.toFixed(2).padStart(7)} ms`,
    `p99 ${summary.p99.toFixed(2).padStart(7)} ms`,
    `(${summary.count} in ${summary.seconds.toFixed(2)} s)`,
  ].join('  ');
}
