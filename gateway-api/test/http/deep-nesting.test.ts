import { expect } from 'chai';
import type { IdempotencyStore } from '../../src/db/idempotency-store.js';
import { idempotent } from '../../src/http/idempotency.js';
import { canonicalJson, type JsonValue } from '../../src/util/canonical-json.js';
import { testDatabases } from '../support/postgres.js';
import { expectProblem, uid, useGateway, validBody } from './helpers.js';

/**
 * Bodies nested 100,000 levels deep, far beyond what any schema accepts: whatever walks them (the request hash of an
 * Idempotency-Key, the checks before it) must not recurse into them, so they are refused as bad input, never a 500.
 */

const DEPTH = 100_000;

/** `{"a":null,"b":[` ... `1` ... `]}` nested `depth` times (objects and arrays alternating), and its canonical text. */
function deepValue(depth: number): { value: JsonValue; text: string } {
  let value: JsonValue = 1;
  // Keys given out of order, so that the canonical text shows they were sorted at every level.
  for (let i = 0; i < depth; i++) value = { b: [value], a: null };
  return { value, text: `${'{"a":null,"b":['.repeat(depth)}1${']}'.repeat(depth)}` };
}

const deepArrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObjects = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('canonical JSON of deeply nested values', () => {
  it('writes a value nested 100,000 levels deep without overflowing the stack, keys sorted at every level', () => {
    const { value, text } = deepValue(DEPTH);
    expect(canonicalJson(value)).to.equal(text);
  });

  it('writes what it wrote before it had no recursion: sorted keys, no white space, JSON.stringify scalars', () => {
    expect(canonicalJson({ z: [1, 'two', null, true, { y: -0.5, x: '\u00e9\n' }], a: {} })).to.equal('{"a":{},"z":[1,"two",null,true,{"x":"é\\n","y":-0.5}]}');
    expect(canonicalJson([])).to.equal('[]');
    expect(canonicalJson('x')).to.equal('"x"');
    expect(() => canonicalJson([Number.NaN])).to.throw(TypeError);
  });

  it('an Idempotency-Key over a body nested 100,000 levels deep is hashed like any other body', async () => {
    const hashes: string[] = [];
    const store: IdempotencyStore = {
      begin: (_identity, _key, requestHash) => {
        hashes.push(requestHash);
        return Promise.resolve({ state: 'new' });
      },
      complete: () => Promise.resolve(),
      abandon: () => Promise.resolve(),
      purgeBefore: () => Promise.resolve(0),
    };
    const request = { method: 'POST', path: '/v1/lots', body: deepValue(DEPTH).value };
    const outcome = await idempotent(store, 'custodian.clerk', 'deep-1', request, () => Promise.resolve({ status: 201, body: {} }));
    expect(outcome.status).to.equal(201);
    await idempotent(store, 'custodian.clerk', 'deep-2', request, () => Promise.resolve({ status: 201, body: {} }));
    expect(hashes).to.have.length(2);
    expect(hashes[0]).to.match(/^[0-9a-f]{64}$/);
    expect(hashes[1], 'the same body hashes the same').to.equal(hashes[0]);
  });
});

const targets = await testDatabases();

for (const target of targets) {
  describe(`HTTP bodies nested 100,000 levels deep with an Idempotency-Key on ${target.name}`, function () {
    this.timeout(60_000);
    // Room for 100,000 levels of objects (500 kB); arrays fit the default limit too.
    const suite = useGateway(target, { BODY_LIMIT_BYTES: String(2 * 1024 * 1024) });

    it('each is refused 400 VALIDATION_FAILED as problem+json; the gateway keeps serving and the key stays free', async () => {
      const { api } = suite();
      const key = uid('deep');
      const lot = validBody('registerLot', { lotId: '', receiptId: '' });
      const lotId = String(lot.id);
      const bodies: [string, string, string][] = [
        ['/v1/lots', 'custodian.clerk', `{"id":"${lotId}","documents":${deepArrays(DEPTH)}}`],
        ['/v1/lots', 'custodian.clerk', `{"id":"${lotId}","documents":${deepObjects(DEPTH)}}`],
        ['/v1/lots', 'custodian.clerk', deepArrays(DEPTH)],
        ['/v1/lots', 'custodian.clerk', deepObjects(DEPTH)],
        ['/v1/receipts/WR-DEEP/confirm', 'custodian.supervisor', `{"reason":${deepObjects(DEPTH)}}`],
        ['/v1/evidence', 'custodian.device-gateway', `{"items":${deepArrays(DEPTH)}}`],
        ['/v1/evidence', 'custodian.device-gateway', `{"items":[${deepObjects(DEPTH)}]}`],
        ['/v1/devices', 'custodian.supervisor', `{"id":"DEV-DEEP","publicKey":${deepObjects(DEPTH)}}`],
      ];
      const height = api.height();
      for (const [path, who, rawBody] of bodies) {
        const reply = await api.request(who, 'POST', path, { rawBody, headers: { 'content-type': 'application/json', 'idempotency-key': key } });
        expectProblem(reply, 400, 'VALIDATION_FAILED');
        expect((await api.request(null, 'GET', '/healthz')).status, `still serving after ${path}`).to.equal(200);
      }
      expect(api.height(), 'nothing reached the ledger').to.equal(height);
      // The refusals claimed nothing: the key now serves a valid request, once.
      const written = await api.write('registerLot', 'custodian.clerk', { body: lot, headers: { 'idempotency-key': key } });
      expect(written.reply.status).to.equal(201);
    });
  });
}
