import { InvalidArgumentError, JCS_MAX_DEPTH, jcs, type JsonValue } from '@wr/anchor';
import { expect } from 'chai';
import type { IdempotencyStore } from '../../src/db/idempotency-store.js';
import { idempotent } from '../../src/http/idempotency.js';
import { ApiError } from '../../src/http/problem.js';
import { testDatabases } from '../support/postgres.js';
import { expectProblem, uid, useGateway, validBody } from './helpers.js';

/**
 * Bodies nested 100,000 levels deep, far beyond what any schema accepts: whatever walks them (the request hash of an
 * Idempotency-Key, the checks before it) must not recurse into them without bound, so they are refused as bad input,
 * never a 500.
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

/** An idempotency store that records the request hashes it is asked about. */
function recordingStore(hashes: string[]): IdempotencyStore {
  return {
    begin: (_identity, _key, requestHash) => {
      hashes.push(requestHash);
      return Promise.resolve({ state: 'new' });
    },
    complete: () => Promise.resolve(),
    abandon: () => Promise.resolve(),
    purgeBefore: () => Promise.resolve(0),
  };
}

describe('canonical JSON of deeply nested values (the one JCS, @wr/anchor)', () => {
  it('refuses a value nested 100,000 levels deep with InvalidArgumentError, without overflowing the stack', () => {
    const { value } = deepValue(DEPTH);
    expect(() => jcs(value)).to.throw(InvalidArgumentError);
  });

  it('writes the deepest value it takes, keys sorted at every level', () => {
    // deepValue(n) nests 2n levels (an object and an array each time), plus the number at the bottom.
    const { value, text } = deepValue(JCS_MAX_DEPTH / 2);
    expect(jcs(value)).to.equal(text);
  });

  it('writes what the gateway wrote before it had one JCS: sorted keys, no white space, JSON.stringify scalars', () => {
    expect(jcs({ z: [1, 'two', null, true, { y: -0.5, x: '\u00e9\n' }], a: {} })).to.equal('{"a":{},"z":[1,"two",null,true,{"x":"é\\n","y":-0.5}]}');
    expect(jcs([])).to.equal('[]');
    expect(jcs('x')).to.equal('"x"');
    expect(() => jcs([Number.NaN])).to.throw(InvalidArgumentError);
  });

  it('an Idempotency-Key over a body nested 100,000 levels deep is refused 400, before the store or the write', async () => {
    const hashes: string[] = [];
    let ran = 0;
    const run = (): Promise<{ status: number; body: unknown }> => {
      ran++;
      return Promise.resolve({ status: 201, body: {} });
    };
    const refusal = await idempotent(recordingStore(hashes), 'custodian.clerk', 'deep-1', { method: 'POST', path: '/v1/lots', body: deepValue(DEPTH).value }, run).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).to.be.instanceOf(ApiError);
    expect(refusal).to.include({ status: 400, code: 'VALIDATION_FAILED' });
    expect([hashes.length, ran]).to.deep.equal([0, 0]);
  });

  it('an Idempotency-Key over a batch with a lone surrogate (which JCS cannot write) still identifies the request: it runs, and the same body hashes the same', async () => {
    const hashes: string[] = [];
    const body = { items: [{ value: 'probe \ud800' }] };
    for (const key of ['surrogate-1', 'surrogate-2']) {
      const outcome = await idempotent(recordingStore(hashes), 'custodian.device-gateway', key, { method: 'POST', path: '/v1/evidence', body: structuredClone(body) }, () =>
        Promise.resolve({ status: 200, body: {} }),
      );
      expect(outcome.status).to.equal(200);
    }
    await idempotent(recordingStore(hashes), 'custodian.device-gateway', 'surrogate-3', { method: 'POST', path: '/v1/evidence', body: { items: [{ value: 'probe \ud801' }] } }, () =>
      Promise.resolve({ status: 200, body: {} }),
    );
    expect(hashes).to.have.length(3);
    expect(hashes[1], 'the same body hashes the same').to.equal(hashes[0]);
    expect(hashes[2], 'another body hashes otherwise').not.to.equal(hashes[0]);
  });

  it('an Idempotency-Key over any body JCS writes is hashed the same each time', async () => {
    const hashes: string[] = [];
    const request = { method: 'POST', path: '/v1/lots', body: deepValue(JCS_MAX_DEPTH / 2).value };
    const outcome = await idempotent(recordingStore(hashes), 'custodian.clerk', 'deep-1', request, () => Promise.resolve({ status: 201, body: {} }));
    expect(outcome.status).to.equal(201);
    await idempotent(recordingStore(hashes), 'custodian.clerk', 'deep-2', { ...request, body: structuredClone(request.body) }, () => Promise.resolve({ status: 201, body: {} }));
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
