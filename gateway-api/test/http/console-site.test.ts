import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConsoleDir } from '../../src/http/console-site.js';
import { startTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { useGateway } from './helpers.js';

const [target] = await testDatabases();
const html = { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' };

describe('the console site, the session and the demo identities (HTTP)', function () {
  this.timeout(60_000);
  if (target === undefined) throw new Error('no test database');
  const suite = useGateway(target);

  it('GET /v1/session says who the token is', async () => {
    const reply = await suite().api.gateway.request('lender.officer', 'GET', '/v1/session');
    expect(reply.status).to.equal(200);
    expect(reply.body).to.deep.equal({ data: { id: 'lender.officer', org: 'lender', mspId: 'LenderMSP', user: 'officer', role: 'officer' } });
    expect((await suite().api.gateway.request(null, 'GET', '/v1/session')).status).to.equal(401);
  });

  it('GET /v1/dev-identities lists the demo identities people sign in as, without a token, each token signing in as its identity', async () => {
    const reply = await suite().api.gateway.request(null, 'GET', '/v1/dev-identities');
    expect(reply.status).to.equal(200);
    const listed = (reply.body as { data: { id: string; token: string }[] }).data;
    expect(listed.map((each) => each.id)).to.include.members(['custodian.clerk', 'lender.officer', 'borrower.alice', 'custodian.auditor']).and.not.include('custodian.device-gateway');
    for (const { id, token } of listed) {
      const session = await fetch(`${suite().api.gateway.url}/v1/session`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await session.json()) as { data: { id: string } }).data.id).to.equal(id);
    }
  });

  it('serves the console page for / and for its own routes to a browser, with a content security policy and no caching', async () => {
    for (const path of ['/', '/lots']) {
      const reply = await suite().api.gateway.request(null, 'GET', path, { headers: html });
      expect(reply.status, path).to.equal(200);
      expect(reply.headers.get('content-type')).to.match(/^text\/html/);
      expect(reply.text).to.include('<div id="root">');
      expect(reply.headers.get('content-security-policy')).to.include("script-src 'self'").and.include("frame-ancestors 'none'");
      expect(reply.headers.get('cache-control')).to.equal('no-cache');
    }
  });

  it('serves the hashed assets for a year, and answers a problem for an asset that is not there', async () => {
    const [script] = readdirSync(join(defaultConsoleDir, 'assets')).filter((name) => name.endsWith('.js'));
    const reply = await suite().api.gateway.request(null, 'GET', `/assets/${script ?? ''}`);
    expect(reply.status).to.equal(200);
    expect(reply.headers.get('cache-control')).to.include('max-age=31536000').and.include('immutable');
    const missing = await suite().api.gateway.request(null, 'GET', '/assets/index-00000000.js');
    expect(missing.status).to.equal(404);
    expect(missing.headers.get('content-type')).to.match(/^application\/problem\+json/);
  });

  it('leaves the API its own: an unknown path asked for by a client that is not a browser is 404 ROUTE_NOT_FOUND, never the console', async () => {
    for (const path of ['/nope', '/v1/nope']) {
      const reply = await suite().api.gateway.request('lender.officer', 'GET', path, { headers: { accept: '*/*' } });
      expect(reply.status, path).to.equal(404);
      expect((reply.body as { code: string }).code, path).to.equal('ROUTE_NOT_FOUND');
    }
    const api = await suite().api.gateway.request('lender.officer', 'GET', '/v1/nope', { headers: html });
    expect((api.body as { code: string }).code).to.equal('ROUTE_NOT_FOUND');
  });
});

describe('the demo identities outside embedded dev defaults', function () {
  this.timeout(60_000);

  it('GET /v1/dev-identities is 404 DEV_IDENTITIES_OFF', async () => {
    const [own] = await testDatabases();
    if (own === undefined) throw new Error('no test database');
    const gateway = await startTestGateway(own, { DEV_IDENTITIES: 'false' });
    try {
      const reply = await gateway.request(null, 'GET', '/v1/dev-identities');
      expect(reply.status).to.equal(404);
      expect((reply.body as { code: string }).code).to.equal('DEV_IDENTITIES_OFF');
    } finally {
      await gateway.close();
      await own.cleanup();
    }
  });
});
