import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { reservePort } from '../src/testing/ports.js';
import { checkNames } from '../src/verifier/index.js';
import { bundleFixture, type BundleFixture } from './support/bundle-fixture.js';
import { startTestChain, type TestChain } from './support/test-chain.js';

const CLI = fileURLToPath(new URL('../src/cli/wr-verify.js', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled command line as a user would, asynchronously so that an in-process RPC can answer it. */
function wrVerify(args: readonly string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** The line of one check: `STATUS  name  REASON  detail`. */
function line(run: Run, name: string): string {
  return run.stdout.split('\n').find((l) => l.split(/\s+/)[1] === name) ?? '';
}

function expectNoStackTrace(run: Run): void {
  expect(run.stdout + run.stderr).not.to.match(/\n\s+at /);
}

describe('wr-verify (the command line)', function () {
  this.timeout(60_000);
  let fixture: BundleFixture;
  let dir: string;
  let chain: TestChain;
  let rpc: { url: string; close(): Promise<void> };
  const file = (name: string): string => join(dir, name);

  before(async () => {
    fixture = bundleFixture();
    dir = await mkdtemp(join(tmpdir(), 'wr-verify-'));
    chain = await startTestChain();
    rpc = await chain.serveHttp();
    await writeFile(file('offline.json'), JSON.stringify(fixture.bundle(1), null, 2));
    const tampered = fixture.bundle(1);
    tampered.leaf.hash = `0x${'0'.repeat(64)}`;
    await writeFile(file('tampered.json'), JSON.stringify(tampered));
    await writeFile(file('anchored.json'), JSON.stringify(fixture.bundle(0, await chain.anchor(fixture.checkpoint))));
    await writeFile(file('not-json.json'), '{"format": ');
  });
  after(async () => {
    await rpc?.close();
    await chain?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 on a valid bundle, printing one line per check and a verdict that says the anchor was not checked', async () => {
    const run = await wrVerify([file('offline.json')]);
    expect(run.code).to.equal(0);
    for (const name of ['format', 'device-signature', 'leaf-hash', 'inclusion-proof', 'checkpoint-hash']) expect(line(run, name)).to.match(new RegExp(`^VALID\\s+${name}\\s+OK\\s+\\S`));
    expect(line(run, 'anchor')).to.match(/^SKIPPED\s+anchor\s+RPC_NOT_GIVEN\s.*\[not required\]$/);
    expect(run.stdout).to.include('VALID: all 5 required checks are VALID; the anchor on chain was NOT checked');
  });

  it('exits 1 on a tampered bundle and names the failed check and reason', async () => {
    const run = await wrVerify([file('tampered.json')]);
    expect(run.code).to.equal(1);
    expect(line(run, 'leaf-hash')).to.match(/^INVALID\s+leaf-hash\s+LEAF_HASH_MISMATCH\s/);
    expect(line(run, 'inclusion-proof')).to.match(/^INVALID\s+inclusion-proof\s+ROOT_MISMATCH\s/);
    expect(line(run, 'device-signature')).to.match(/^VALID\s/);
    expect(run.stdout).to.match(/NOT VALID: 2 of 5 required checks failed/);
  });

  it('exits 1 on text that is not JSON', async () => {
    const run = await wrVerify([file('not-json.json')]);
    expect(run.code).to.equal(1);
    expect(line(run, 'format')).to.match(/^INVALID\s+format\s+NOT_JSON\s/);
    expectNoStackTrace(run);
  });

  it('reads the bundle from standard input given -', async () => {
    const run = await wrVerify(['-'], JSON.stringify(fixture.bundle(2)));
    expect(run.code).to.equal(0);
    expect(line(run, 'device-signature')).to.match(/^SKIPPED\s+device-signature\s+NOT_APPLICABLE\s.*\[not required\]$/);
  });

  it('with --rpc, checks the anchor on chain and requires it', async () => {
    const run = await wrVerify([file('anchored.json'), '--rpc', rpc.url]);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(line(run, 'anchor')).to.match(/^VALID\s+anchor\s+OK\s+Anchored\(/);
    expect(run.stdout).to.include('VALID: all 6 required checks are VALID\n');
  });

  it('with --rpc, exits 1 when the anchor was made up or the node cannot be reached', async () => {
    const madeUp = await wrVerify([file('offline.json'), '--rpc', rpc.url]);
    expect(madeUp.code).to.equal(1);
    expect(line(madeUp, 'anchor')).to.match(/^INVALID\s+anchor\s+TX_NOT_FOUND\s/);
    const unreachable = await wrVerify([file('anchored.json'), '--rpc', `http://127.0.0.1:${String(await reservePort())}`, '--timeout', '2000']);
    expect(unreachable.code).to.equal(1);
    expect(line(unreachable, 'anchor')).to.match(/^ERROR\s+anchor\s+RPC_UNAVAILABLE\s/);
    expectNoStackTrace(unreachable);
  });

  it('prints the result as JSON with --json', async () => {
    const run = await wrVerify([file('tampered.json'), '--json']);
    expect(run.code).to.equal(1);
    const result = z
      .object({ ok: z.boolean(), checks: z.array(z.object({ name: z.string(), status: z.string(), reason: z.string(), required: z.boolean(), detail: z.string() })) })
      .parse(JSON.parse(run.stdout));
    expect(result.ok).to.equal(false);
    expect(result.checks.map((check) => check.name)).to.deep.equal([...checkNames]);
    expect(result.checks.find((check) => check.name === 'leaf-hash')?.reason).to.equal('LEAF_HASH_MISMATCH');
  });

  it('exits 2 with a plain message on usage errors and unreadable files', async () => {
    const cases: [string[], RegExp][] = [
      [[], /give exactly one bundle file/],
      [[file('offline.json'), file('tampered.json')], /give exactly one bundle file/],
      [[file('missing.json')], /cannot read .*missing\.json: ENOENT/],
      [[dir], /cannot read .*: EISDIR/],
      [[file('offline.json'), '--rpc', 'ftp://example.org'], /--rpc must be an http or https URL/],
      [[file('offline.json'), '--rpc'], /argument missing|--rpc/],
      [[file('offline.json'), '--timeout', 'soon'], /--timeout must be a positive number/],
      [[file('offline.json'), '--frobnicate'], /Unknown option '--frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const run = await wrVerify(args);
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stderr, args.join(' ')).to.match(message);
      expect(run.stdout).to.equal('');
      expectNoStackTrace(run);
    }
  });

  it('prints usage and exits 0 with --help', async () => {
    const run = await wrVerify(['--help']);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/^Usage: wr-verify <bundle.json \| -> \[--rpc URL\] \[--json\]/);
  });
});
