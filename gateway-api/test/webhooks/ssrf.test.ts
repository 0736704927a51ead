import { expect } from 'chai';
import type { LookupAddress } from 'node:dns';
import { defaultModules } from '../../src/main.js';
import { poster } from '../../src/modules/webhooks/attempt.js';
import { forbiddenAddress, systemResolve, webhooksModuleWith, type ResolveHost } from '../../src/modules/webhooks/index.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { uid } from '../http/helpers.js';
import { deliveries, startReceiver, type Receiver } from './receiver.js';

const v4 = (address: string): LookupAddress => ({ address, family: 4 });

describe('Webhook targets (SSRF): which addresses are refused', () => {
  it('refuses loopback, private, link-local, unique-local, CGNAT, unspecified, multicast, broadcast, reserved, metadata and their IPv4-mapped forms; allows public unicast', () => {
    const refused = [
      '127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '169.254.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '240.0.0.1',
      '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254',
    ];
    for (const address of refused) expect(forbiddenAddress(address), address).to.be.a('string');
    expect(forbiddenAddress('169.254.169.254')).to.include('metadata');
    expect(forbiddenAddress('::ffff:127.0.0.1')).to.include('loopback');
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:2800:220:1:248:1893:25c7:1946', '::ffff:93.184.216.34']) expect(forbiddenAddress(address), address).to.equal(undefined);
  });

  describe('at delivery time, the real sender against a real local server', () => {
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver();
    });
    after(() => receiver.close());

    it('connects to the very address it checked: a name no DNS knows, resolved by the stand-in to 127.0.0.1, reaches the local server with its own Host', async () => {
      const send = poster({ resolveHost: () => Promise.resolve([v4('127.0.0.1')]), allowPrivate: true, timeoutMs: 2_000, maxSockets: 4, userAgent: 'test' });
      const body = JSON.stringify({ id: 'evt-1', type: 't', timestamp: new Date().toISOString(), object: { type: 'lot', id: 'L' }, data: {} });
      const outcome = await send.post(`http://receiver.invalid:${receiver.port.toString()}/pinned`, { 'webhook-id': 'evt-1' }, body);
      send.close();
      expect(outcome.statusCode).to.equal(200);
      expect(receiver.received.at(-1)?.headers.host).to.equal(`receiver.invalid:${receiver.port.toString()}`);
    });

    it('refuses a target whose name now resolves to loopback (allowed at creation, rebound since): a failed attempt, nothing sent', async () => {
      const before = receiver.received.length;
      const send = poster({ resolveHost: () => Promise.resolve([v4('93.184.216.34'), v4('127.0.0.1')]), allowPrivate: false, timeoutMs: 2_000, maxSockets: 4, userAgent: 'test' });
      const outcome = await send.post(`http://receiver.invalid:${receiver.port.toString()}/rebound`, {}, '{}');
      send.close();
      expect(outcome.statusCode).to.equal(null);
      expect(outcome.error).to.match(/^target forbidden: receiver\.invalid resolves to 127\.0\.0\.1 is a loopback address/);
      expect(receiver.received.length).to.equal(before);
    });
  });
});

const [pglite] = await testDatabases();

describe('Webhook targets through the gateway with WEBHOOK_ALLOW_PRIVATE=false', function () {
  this.timeout(120_000);
  if (pglite === undefined) throw new Error('no PGlite target');
  // DNS stand-in: `localhost` as the system resolves it; `rebind.test` public until the test rebinds it.
  const answers = new Map<string, LookupAddress[]>([['rebind.test', [v4('93.184.216.34')]]]);
  const resolveHost: ResolveHost = (host) => Promise.resolve(answers.get(host) ?? systemResolve(host));
  const modules = [...defaultModules.filter((module) => module.name !== 'webhooks'), webhooksModuleWith({ resolveHost })];
  const gw = useTestGateway(pglite, { WEBHOOK_ALLOW_PRIVATE: 'false', WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '50', WEBHOOK_RETRY_WINDOW_MS: '400' }, { modules });
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(() => receiver.close());

  it('refuses loopback, private, link-local, metadata and IPv4-mapped targets, names that resolve to loopback, other schemes and user info; accepts a public address', async () => {
    const cases: [string, number, string][] = [
      ['http://127.0.0.1/hook', 422, 'WEBHOOK_TARGET_FORBIDDEN'],
      ['http://10.0.0.1/hook', 422, 'WEBHOOK_TARGET_FORBIDDEN'],
      ['http://169.254.169.254/latest/meta-data', 422, 'WEBHOOK_TARGET_FORBIDDEN'],
      ['http://[::1]:8080/hook', 422, 'WEBHOOK_TARGET_FORBIDDEN'],
      ['http://[::ffff:127.0.0.1]/hook', 422, 'WEBHOOK_TARGET_FORBIDDEN'],
      ['http://[fd00:ec2::254]/hook', 422, 'WEBHOOK_TARGET_FORBIDDEN'],
      [`http://localhost:${receiver.port.toString()}/hook`, 422, 'WEBHOOK_TARGET_FORBIDDEN'],
      ['ftp://93.184.216.34/hook', 400, 'VALIDATION_FAILED'],
      ['https://user:pass@93.184.216.34/hook', 400, 'VALIDATION_FAILED'],
      ['not a url', 400, 'VALIDATION_FAILED'],
    ];
    for (const [url, status, code] of cases) {
      const reply = await gw().request('lender.officer', 'POST', '/v1/webhooks', { body: { url } });
      expect(reply.status, `${url}: ${reply.text}`).to.equal(status);
      expect((reply.body as { code: string }).code, url).to.equal(code);
      if (status === 422) expect((reply.body as { detail: string }).detail, url).to.match(/loopback|private|link-local|metadata|unique-local/);
    }
    expect((await gw().request('lender.officer', 'GET', '/v1/webhooks')).body).to.deep.equal({ data: [] });
    const accepted = await gw().request('lender.officer', 'POST', '/v1/webhooks', { body: { url: 'https://93.184.216.34/hook', types: ['checkpoint.anchored'] } });
    expect(accepted.status, accepted.text).to.equal(201);
    const { id } = (accepted.body as { data: { id: string } }).data;
    expect((await gw().request('lender.officer', 'DELETE', `/v1/webhooks/${id}`)).status).to.equal(200);
    expect((await gw().request('lender.officer', 'GET', `/v1/webhooks/${id}`)).status).to.equal(404);
  });

  it('a target that resolved to a public address at creation and to loopback at delivery is never called: its attempts fail as target forbidden and it dead-letters', async () => {
    const reply = await gw().request('custodian.supervisor', 'POST', '/v1/webhooks', { body: { url: `http://rebind.test:${receiver.port.toString()}/rebind`, types: ['lot.registered'] } });
    expect(reply.status, reply.text).to.equal(201);
    const { id } = (reply.body as { data: { id: string } }).data;
    answers.set('rebind.test', [v4('127.0.0.1')]);
    const lot = await gw().request('custodian.clerk', 'POST', '/v1/lots', { body: { id: uid('LOT-SSRF'), warehouseId: 'WH-SSRF', location: 'a', commodity: 'tin', unit: 't', quantity: '1' } });
    expect(lot.status).to.equal(201);
    await gw().gateway.projectionCaughtUp();
    const deadline = Date.now() + 20_000;
    let log = await deliveries(gw(), 'custodian.supervisor', id);
    while (!(log.length === 1 && log[0]?.status === 'dead') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      log = await deliveries(gw(), 'custodian.supervisor', id);
    }
    expect(log.map((entry) => entry.status)).to.deep.equal(['dead']);
    const attempts = log[0]?.attempts ?? [];
    expect(attempts.length).to.be.at.least(2);
    for (const attempt of attempts) expect(attempt.error).to.match(/^target forbidden: rebind\.test resolves to 127\.0\.0\.1/);
    expect(receiver.received.length, 'the receiver was never called').to.equal(0);
    const dead = await deliveries(gw(), 'custodian.supervisor', id, 'dead');
    expect(dead.map((entry) => entry.id)).to.deep.equal(log.map((entry) => entry.id));
  });

  it('refuses clerks and device gateways (403), and validates types against the catalogue (400 naming the path)', async () => {
    for (const who of ['custodian.clerk', 'custodian.device-gateway']) {
      const reply = await gw().request(who, 'POST', '/v1/webhooks', { body: { url: 'https://93.184.216.34/hook' } });
      expect(reply.status, who).to.equal(403);
    }
    const reply = await gw().request('lender.officer', 'POST', '/v1/webhooks', { body: { url: 'https://93.184.216.34/hook', types: ['receipt.released', 'receipt.exploded'] } });
    expect(reply.status).to.equal(400);
    expect((reply.body as { code: string; detail: string }).detail).to.include('types.1');
  });
});
