import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { reservePort } from '@wr/anchor/testing';
import { run, untilHealthy, type Started } from '../support/process.js';

const demoKeys = [
  'custodian.clerk',
  'custodian.supervisor',
  'custodian.device-gateway',
  'custodian.oracle',
  'lender.officer',
  'lender.approver',
  'borrower.alice',
  'borrower.bob',
  'custodian.auditor',
  'lender.auditor',
  'borrower.auditor',
];


const exitOf = (started: Started): Promise<number | null> => started.exited;

describe('the gateway process (npm start)', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wr-process-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts on embedded defaults, writes the demo tokens, stops cleanly on SIGTERM and keeps the tokens across a restart', async () => {
    const port = await reservePort();
    const url = `http://127.0.0.1:${port}`;
    const first = run('start.js', [], { DATA_DIR: dataDir, PORT: String(port) });
    children.push(first.child);
    await untilHealthy(url, first);
    expect(first.output()).to.include(`${url}/docs/`).and.to.include('dev-tokens.json');

    const path = join(dataDir, 'dev-tokens.json');
    const tokens = z.record(z.string(), z.string().regex(/^wr_[A-Za-z0-9_-]{43}$/)).parse(JSON.parse(await readFile(path, 'utf8')));
    expect(Object.keys(tokens)).to.have.members(demoKeys);
    expect((await stat(path)).mode & 0o777).to.equal(0o600);
    const list = await fetch(`${url}/v1/receipts`, { headers: { authorization: `Bearer ${tokens['borrower.alice'] ?? ''}` } });
    expect(list.status).to.equal(200);

    first.child.kill('SIGTERM');
    expect(await exitOf(first)).to.equal(0);

    const second = run('start.js', [], { DATA_DIR: dataDir, PORT: String(port) });
    children.push(second.child);
    await untilHealthy(url, second);
    expect(JSON.parse(await readFile(path, 'utf8'))).to.deep.equal(tokens);
    second.child.kill('SIGINT');
    expect(await exitOf(second)).to.equal(0);
  });

  it('refuses a second process on the same data directory with a clear message', async () => {
    const port = await reservePort();
    const first = run('start.js', [], { DATA_DIR: dataDir, PORT: String(port) });
    children.push(first.child);
    await untilHealthy(`http://127.0.0.1:${port}`, first);
    const second = run('start.js', [], { DATA_DIR: dataDir, PORT: String(await reservePort()) });
    children.push(second.child);
    expect(await exitOf(second)).to.equal(1);
    expect(second.output()).to.include(`in use by process ${String(first.child.pid)}`);
    const admin = run('admin.js', ['identities'], { DATA_DIR: dataDir });
    children.push(admin.child);
    expect(await exitOf(admin)).to.equal(1);
    expect(admin.output()).to.include('in use by process');
  });

  it('exits with a configuration error, not a stack trace, on a bad variable', async () => {
    const started = run('start.js', [], { DATA_DIR: dataDir, PORT: 'eighty' });
    children.push(started.child);
    expect(await exitOf(started)).to.equal(2);
    expect(started.output()).to.match(/^invalid configuration: PORT/m);
  });
});

describe('the admin command line (npm run admin)', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wr-admin-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const admin = async (...args: string[]): Promise<{ code: number | null; output: string }> => {
    const started = run('admin.js', args, { DATA_DIR: dataDir });
    const code = await exitOf(started);
    return { code, output: started.output() };
  };

  it('creates a user whose token works, lists it, and revokes the token so that it stops working', async () => {
    const created = await admin('create-user', '--org', 'lender', '--user', 'zhao', '--role', 'approver');
    expect(created.code, created.output).to.equal(0);
    const [, tokenId, token] = /token (tok_[0-9a-f]+): (wr_[A-Za-z0-9_-]+)/.exec(created.output) ?? [];
    expect(token).to.be.a('string');
    expect((await admin('identities')).output).to.match(/lender\.zhao\s+LenderMSP\s+zhao\s+approver\s+active/);

    const port = await reservePort();
    const url = `http://127.0.0.1:${port}`;
    const gateway = run('start.js', [], { DATA_DIR: dataDir, PORT: String(port), DEV_IDENTITIES: 'false' });
    await untilHealthy(url, gateway);
    const asZhao = (): Promise<number> => fetch(`${url}/v1/receipts`, { headers: { authorization: `Bearer ${token ?? ''}` } }).then((r) => r.status);
    expect(await asZhao()).to.equal(200);
    gateway.child.kill('SIGTERM');
    await exitOf(gateway);

    const revoked = await admin('revoke-token', tokenId ?? '');
    expect(revoked.code, revoked.output).to.equal(0);
    const again = run('start.js', [], { DATA_DIR: dataDir, PORT: String(port), DEV_IDENTITIES: 'false' });
    await untilHealthy(url, again);
    expect(await asZhao()).to.equal(401);
    again.child.kill('SIGTERM');
    await exitOf(again);
  });

  it('refuses a role the organisation does not issue, and unknown commands, with usage and exit code 2', async () => {
    const badRole = await admin('create-user', '--org', 'borrower', '--user', 'carol', '--role', 'officer');
    expect(badRole.code).to.equal(2);
    expect(badRole.output).to.include('--role must be one of: owner, auditor');
    const unknown = await admin('frobnicate');
    expect(unknown.code).to.equal(2);
    expect(unknown.output).to.include('unknown command frobnicate').and.to.include('Usage: npm run admin');
  });
});
