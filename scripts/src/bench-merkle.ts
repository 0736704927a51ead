/**
 * Merkle benchmark: build an RFC 6962 tree and every leaf's audit path, for 1e5 and 1e6 leaves, with merkletreejs as
 * configured in @wr/anchor against a baseline measured in the same run: the same tree with plain node:crypto (the
 * floor under any SHA-256 Merkle tree in Node). Each case runs in its own process so that its peak RSS is its own.
 * Then the p99 latency of verifying one inclusion proof in a 1e6-leaf tree.
 */
import { buildBaselineTree, buildTree, hashLeaf, verifyInclusion, type MerkleTreeView } from '@wr/anchor';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { summarise } from './bench/stats.js';

const SIZES = (process.env.BENCH_MERKLE_SIZES ?? '100000,1000000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_MERKLE_RUNS ?? 2);
const VERIFY_SAMPLES = 20_000;
const implementations = { baseline: buildBaselineTree, merkletreejs: buildTree } as const;
type Implementation = keyof typeof implementations;
const labels: Record<Implementation, string> = { baseline: 'plain node:crypto (baseline)', merkletreejs: 'merkletreejs, RFC 6962 config' };

const caseResultSchema = z.object({ buildMs: z.number(), proofsMs: z.number(), leavesRss: z.number(), peakRss: z.number(), root: z.string(), pathHashes: z.number() });
type CaseResult = z.infer<typeof caseResultSchema>;
const verifyResultSchema = z.object({ p50: z.number(), p95: z.number(), p99: z.number(), count: z.number() });

/** Leaf hashes of the leaves 0..n-1 as 8-byte big-endian numbers: the same leaves in every process. */
function leafHashes(count: number): Buffer[] {
  const leaf = Buffer.alloc(8);
  return Array.from({ length: count }, (_, i) => {
    leaf.writeBigUInt64BE(BigInt(i));
    return hashLeaf(leaf);
  });
}

/** Child: build one tree and all its audit paths, keeping them all, and report time and peak RSS. */
function runCase(implementation: Implementation, count: number): CaseResult {
  const leaves = leafHashes(count);
  const leavesRss = process.memoryUsage().rss;
  const started = performance.now();
  const tree: MerkleTreeView = implementations[implementation](leaves);
  const built = performance.now();
  const paths: Buffer[][] = new Array<Buffer[]>(count);
  for (let i = 0; i < count; i++) paths[i] = tree.auditPath(i);
  const done = performance.now();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  // Using the paths after the measurement keeps them alive through it.
  const pathHashes = paths.reduce((sum, path) => sum + path.length, 0);
  for (let i = 0; i < count; i += Math.ceil(count / 100)) verifyInclusion(i, count, leaves[i] as Buffer, paths[i] as Buffer[], tree.root);
  return { buildMs: built - started, proofsMs: done - built, leavesRss, peakRss, root: tree.root.toString('hex'), pathHashes };
}

/** Child: the latency of verifyInclusion, one random leaf of a `count`-leaf tree at a time. */
function runVerify(count: number): z.infer<typeof verifyResultSchema> {
  const leaves = leafHashes(count);
  const tree = buildBaselineTree(leaves);
  const latencies: number[] = [];
  for (let i = 0; i < VERIFY_SAMPLES + 2_000; i++) {
    const index = Math.floor(Math.random() * count);
    const path = tree.auditPath(index);
    const started = performance.now();
    verifyInclusion(index, count, leaves[index] as Buffer, path, tree.root);
    if (i >= 2_000) latencies.push(performance.now() - started);
  }
  const { p50, p95, p99, count: samples } = summarise(latencies, 1);
  return { p50, p95, p99, count: samples };
}

async function child<T>(schema: z.ZodType<T>, args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { maxBuffer: 1 << 20 });
  return schema.parse(JSON.parse(stdout));
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0).padStart(5)} MiB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2).padStart(6)} s`;

async function main(): Promise<void> {
  console.log(`merkle benchmark — node ${process.version}, build + every audit path, each case in its own process, best of ${RUNS} run(s)\n`);
  console.log(`${'leaves'.padEnd(9)} ${'implementation'.padEnd(30)} ${'build'.padStart(8)} ${'paths'.padStart(8)} ${'total'.padStart(8)}  ${'peak RSS'.padStart(9)}  ${'(leaves alone)'}`);
  const goals: string[] = [];
  for (const count of SIZES) {
    const best = new Map<Implementation, CaseResult>();
    // Interleaved, so that a slow spell on a shared machine hits both implementations alike.
    for (let run = 0; run < RUNS; run++) {
      for (const implementation of ['baseline', 'merkletreejs'] as const) {
        const result = await child(caseResultSchema, ['case', implementation, String(count)]);
        const previous = best.get(implementation);
        if (previous === undefined || result.buildMs + result.proofsMs < previous.buildMs + previous.proofsMs) best.set(implementation, result);
      }
    }
    const [baseline, library] = [best.get('baseline'), best.get('merkletreejs')];
    if (baseline === undefined || library === undefined) throw new Error('a case did not run');
    if (baseline.root !== library.root || baseline.pathHashes !== library.pathHashes) throw new Error(`the implementations disagree at ${count} leaves`);
    for (const [implementation, result] of best) {
      console.log(`${String(count).padEnd(9)} ${labels[implementation].padEnd(30)} ${seconds(result.buildMs)} ${seconds(result.proofsMs)} ${seconds(result.buildMs + result.proofsMs)}  ${mib(result.peakRss)}  (${mib(result.leavesRss).trim()})`);
    }
    const ratio = (library.buildMs + library.proofsMs) / (baseline.buildMs + baseline.proofsMs);
    console.log(`${''.padEnd(9)} merkletreejs / baseline: time ${ratio.toFixed(2)}x, peak RSS ${(library.peakRss / baseline.peakRss).toFixed(2)}x\n`);
    goals.push(`  ${count} leaves: merkletreejs within 2x of the baseline: ${ratio.toFixed(2)}x (${verdict(ratio <= 2)})`);
    if (count >= 1_000_000) {
      const total = library.buildMs + library.proofsMs;
      goals.push(`  ${count} leaves: ${seconds(total).trim()} (goal <= 10 s: ${verdict(total <= 10_000)}), peak RSS ${mib(library.peakRss).trim()} (goal <= 2 GiB: ${verdict(library.peakRss <= 2 ** 31)})`);
    }
  }
  const verifyCount = Math.max(...SIZES);
  const verify = await child(verifyResultSchema, ['verify', String(verifyCount)]);
  console.log(`verifyInclusion, one proof of a ${verifyCount}-leaf tree: p50 ${verify.p50.toFixed(4)} ms, p95 ${verify.p95.toFixed(4)} ms, p99 ${verify.p99.toFixed(4)} ms (${verify.count} proofs)`);
  goals.push(`  proof verification p99 ${verify.p99.toFixed(4)} ms (goal <= 1 ms: ${verdict(verify.p99 <= 1)})`);
  console.log(`\nagainst the goals:\n${goals.join('\n')}`);
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}

const [mode, kind, implementation, count] = process.argv.slice(2);
if (mode === '--child') {
  const result = kind === 'verify' ? runVerify(Number(implementation)) : runCase(z.enum(['baseline', 'merkletreejs']).parse(implementation), Number(count));
  process.stdout.write(JSON.stringify(result));
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
