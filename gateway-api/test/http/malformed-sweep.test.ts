import type { ReceiptStatus } from '@wr/chaincode/transitions';
import { prng, replayHint, testSeed } from '@wr/anchor/testing';
import { expect } from 'chai';
import { operations, type Operation } from '../../src/modules/receipts/operations.js';
import type { Reply, RequestOptions } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { actorOf, stateActedOn } from './access.js';
import { expectProblem, expectUnchanged, optionalFields, snapshot, useGateway, validBody, without, type Api, type BodyContext, type Snapshot } from './helpers.js';

/**
 * A generated sweep of malformed requests over every route of the receipts module (modules/receipts/operations.ts): bodies mutated field by field, bad path
 * ids, bad list queries, bad headers, methods and paths no route has. Every one must be refused with a problem+json
 * 4xx and a code, none may be a 5xx, and none may reach the ledger.
 */

const targets = await testDatabases();

/** At least this many malformed requests per database (the brief of this suite). */
const MINIMUM_REQUESTS = 500;

type Json = unknown;

/** One malformed request and the refusal it must get. */
interface Case {
  readonly label: string;
  readonly who: string | null;
  readonly method: string;
  readonly path: string;
  readonly options: RequestOptions;
  readonly status: number;
  readonly code: string;
}

/** Replacements of a string field that no schema of the API accepts (every string field is an id, a code, a decimal or bounded text). */
const universalStrings = (value: string): readonly (readonly [string, string])[] => [
  ['empty', ''],
  ['blank', '   '],
  ['5000 characters', 'x'.repeat(5000)],
  ['with NUL', `${value}\u0000`],
  ['with a bell', `${value}\u0007`],
  ['with an escape', `\u001b[31m${value}`],
  ['with a right-to-left override', `\u202e${value}`],
  ['with a zero-width space', `${value}\u200b`],
  ['with a zero-width joiner', `${value}\u200d`],
  ['with a byte-order mark', `\ufeff${value}`],
  ['with a lone high surrogate', `${value}\ud800`],
  ['with a lone low surrogate', `\udc00${value}`],
];

/** Replacements that only some fields refuse (ids, codes, decimals; free text accepts them): kept when the route's schema refuses them. */
const fieldSpecificStrings = (value: string): readonly (readonly [string, string])[] => [
  ['with a Cyrillic homoglyph', homoglyph(value)],
  ['with a leading space', ` ${value}`],
  ['with a trailing newline', `${value}\n`],
  ['with a leading hyphen', `-${value}`],
  ['lower-cased', value.toLowerCase()],
  ['upper-cased', value.toUpperCase()],
  ['with an exponent', `${value}e3`],
  ['with a sign', `+${value}`],
  ['with full-width digits', value.replaceAll(/[0-9]/g, (digit) => String.fromCodePoint(0xff10 + Number(digit)))],
];

const wrongTypesFor = (value: Json): readonly (readonly [string, Json])[] =>
  Array.isArray(value)
    ? [['a number', 1], ['a boolean', true], ['null', null], ['a string', 'x'], ['an object', {}]]
    : [['a number', 1], ['a fraction', 1.5], ['a negative number', -1], ['a boolean', false], ['null', null], ['an array', []], ['an object', {}], ['an array of it', [value]]];

/** Cyrillic letters that look like Latin ones. */
function homoglyph(value: string): string {
  const lookalikes: Readonly<Record<string, string>> = {
    a: '\u0430', c: '\u0441', e: '\u0435', o: '\u043e', p: '\u0440', x: '\u0445', A: '\u0410', C: '\u0421',
    E: '\u0415', H: '\u041d', K: '\u041a', M: '\u041c', O: '\u041e', P: '\u0420', T: '\u0422', X: '\u0425',
  };
  const at = [...value].findIndex((char) => lookalikes[char] !== undefined);
  if (at < 0) return `\u0410${value}`;
  const chars = [...value];
  chars[at] = lookalikes[chars[at] ?? ''] ?? '';
  return chars.join('');
}

/** A body mutation: what changed, the body, and whether every schema must refuse it (else it is kept only if refused). */
interface BodyMutation {
  readonly label: string;
  readonly body: Json;
  readonly universal: boolean;
}

/** Mutations of one value at `path` inside `body`, recursing one level into arrays and objects. */
function mutateValue(label: string, value: Json, replace: (next: Json) => Json, remove: (() => Json) | undefined, depth: number): BodyMutation[] {
  const out: BodyMutation[] = [];
  for (const [what, next] of wrongTypesFor(value)) out.push({ label: `${label} as ${what}`, body: replace(next), universal: true });
  if (remove) out.push({ label: `${label} missing`, body: remove(), universal: true });
  if (typeof value === 'string') {
    for (const [what, next] of universalStrings(value)) out.push({ label: `${label} ${what}`, body: replace(next), universal: true });
    for (const [what, next] of fieldSpecificStrings(value)) {
      if (next !== value) out.push({ label: `${label} ${what}`, body: replace(next), universal: false });
    }
  }
  if (Array.isArray(value) && depth < 2) {
    const items: Json[] = value;
    out.push({ label: `${label} with 101 items`, body: replace(Array.from({ length: 101 }, () => items[0])), universal: true });
    const first: Json = items[0];
    if (first !== undefined) {
      out.push(
        ...mutateValue(`${label}[0]`, first, (next) => replace([next, ...items.slice(1)]), undefined, depth + 1).filter(
          (mutation) => !mutation.label.endsWith('as an array of it'),
        ),
      );
    }
  }
  if (isRecord(value) && depth < 2) {
    out.push({ label: `${label} with an extra property`, body: replace({ ...value, extra: 'x' }), universal: true });
    for (const [key, inner] of Object.entries(value)) {
      const dropped = (): Json => replace(without(value, [key]));
      out.push(...mutateValue(`${label}.${key}`, inner, (next) => replace({ ...value, [key]: next }), dropped, depth + 1));
    }
  }
  return out;
}

/** Every field-by-field mutation of a valid body, plus extra properties. */
function bodyMutations(operationId: string, base: Record<string, Json>): BodyMutation[] {
  const optional = optionalFields[operationId] ?? [];
  const out: BodyMutation[] = [
    { label: 'an extra property', body: { ...base, unexpected: 1 }, universal: true },
    { label: 'a "constructor" property', body: { ...base, constructor: 'x' }, universal: true },
    { label: 'a nested object as extra property', body: { ...base, nested: { deep: [1, 2, 3] } }, universal: true },
  ];
  for (const [field, value] of Object.entries(base)) {
    const dropped = (): Json => without(base, [field]);
    out.push(...mutateValue(field, value, (next) => ({ ...base, [field]: next }), optional.includes(field) ? undefined : dropped, 0));
  }
  return out;
}

/** Whole bodies that are not a JSON object: [label, raw text, expected code]. */
const rawBodies: readonly (readonly [string, string, string])[] = [
  ['an array', '[]', 'VALIDATION_FAILED'],
  ['an array of the object', '[{}]', 'VALIDATION_FAILED'],
  ['a bare string', '"x"', 'MALFORMED_JSON'],
  ['null', 'null', 'MALFORMED_JSON'],
  ['a number', '1', 'MALFORMED_JSON'],
  ['true', 'true', 'MALFORMED_JSON'],
  ['truncated JSON', '{"a":', 'MALFORMED_JSON'],
  ['two objects', '{}{}', 'MALFORMED_JSON'],
  ['a lone comma', '{,}', 'MALFORMED_JSON'],
  ['an unquoted key', '{a:1}', 'MALFORMED_JSON'],
  ['a raw NUL', '{"a":"\u0000"}', 'MALFORMED_JSON'],
  ['an invalid escape', '{"a":"\\x41"}', 'MALFORMED_JSON'],
];

/** Path ids, already percent-encoded, that no route accepts: [label, raw segment]. */
const badIds: readonly (readonly [string, string])[] = [
  ['bad percent-encoding', '%ZZ'],
  ['a truncated UTF-8 sequence', '%E0%A4%A'],
  ['a NUL', 'A%00B'],
  ['300 characters', 'x'.repeat(300)],
  ['a leading hyphen', '-abc'],
  ['a leading dot', '.hidden'],
  ['a space', 'a%20b'],
  ['a right-to-left override', 'WR%E2%80%AE1'],
  ['a Cyrillic homoglyph', 'W%D0%A0-1'],
  ['an encoded slash', 'a%2Fb'],
  ['an asterisk', 'a*b'],
  ['a semicolon', 'a%3Bb'],
  ['an emoji', '%F0%9F%92%A9'],
  ['a quote', 'a%22b'],
];

/** Queries of GET /v1/receipts that are refused. */
const badQueries: readonly string[] = [
  'status=bogus',
  'status=draft',
  'status=',
  'status=ISSUED&status=DRAFT',
  'limit=0',
  'limit=1001',
  'limit=-1',
  'limit=1.5',
  'limit=abc',
  'limit=',
  'limit=1e400',
  'limit=Infinity',
  'limit=NaN',
  'limit=10&limit=20',
  'owner=%D0%B0lice',
  'owner=a%20b',
  'owner=',
  'owner=alice%E2%80%8B',
  'lender=1bad',
  'lender=Lender%00MSP',
  `warehouseId=${'x'.repeat(300)}`,
  'lotId=%E2%80%AE',
  'lotId=%ZZ',
  'after=',
  'after=-x',
  'unknown=1',
  '__proto__=x',
  'constructor=x',
  'owner[]=alice',
  'owner[0]=alice',
];

const badIdempotencyKeys: readonly string[] = ['a b', 'a/b', 'k'.repeat(201), '', 'cl\u00e9', 'a,b', '{key}'];
const unsupportedTypes: readonly string[] = ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/xml', 'multipart/form-data; boundary=x'];
const badAuthorizations: readonly (readonly [string, string | undefined])[] = [
  ['no Authorization', undefined],
  ['"Bearer" alone', 'Bearer'],
  ['an unknown token', `Bearer wr_${'A'.repeat(43)}`],
  ['a Basic header', 'Basic YTpi'],
];

function authorizationHeader(authorization: string | undefined): Record<string, string> {
  return authorization === undefined ? {} : { authorization };
}

function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether some route answers `method` on `path` (the table's routes and the list; Express matches case-insensitively). */
/** Whether the API has `path` with `method` (any method when `method` is undefined); Express matches paths case-insensitively. */
function routeExists(method: string | undefined, path: string): boolean {
  const routes = [...operations.map((op) => ({ method: op.method.toUpperCase(), path: op.path })), { method: 'GET', path: '/v1/receipts' }];
  return routes.some((route) => (method === undefined || route.method === method) && new RegExp(`^${route.path.replaceAll('{id}', '[^/]+')}/?$`, 'i').test(path));
}

/** The fixtures the sweep aims at: alice's receipts in each state, a lot and an open risk event. */
interface Targets {
  readonly receipts: ReadonlyMap<ReceiptStatus, string>;
  readonly lotId: string;
  readonly riskEventId: string;
}

function idFor(op: Operation, aim: Targets): string {
  if (op.path.startsWith('/v1/lots/')) return aim.lotId;
  if (op.path.startsWith('/v1/risk-events/')) return aim.riskEventId;
  return aim.receipts.get(stateActedOn(op) ?? 'ISSUED') ?? '';
}

function pathWith(op: Operation, rawId: string): string {
  return op.path.replace('{id}', rawId);
}

function contextOf(aim: Targets): BodyContext {
  return { lotId: aim.lotId, receiptId: aim.receipts.get('ISSUED') ?? '' };
}

for (const target of targets) {
  describe(`HTTP malformed-request sweep over every route, on ${target.name}`, function () {
    this.timeout(60_000);
    const suite = useGateway(target);
    const statuses = new Map<number, number>();
    let sent = 0;
    let aim: Targets | undefined;
    let baseline: Snapshot | undefined;

    before(async function () {
      this.timeout(60_000);
      const { api, fixtures } = suite();
      const receipts = new Map<ReceiptStatus, string>();
      for (const status of ['DRAFT', 'ISSUED', 'PLEDGE_REQUESTED', 'PLEDGED', 'DEFAULTED', 'WITHDRAWAL_REQUESTED'] as const) {
        receipts.set(status, await fixtures.inState(status, 'alice'));
      }
      const lotId = await fixtures.lot('1000');
      aim = { receipts, lotId, riskEventId: await fixtures.riskEvent(receipts.get('ISSUED') ?? '') };
      baseline = await snapshot(api, [...receipts.values()], [lotId]);
    });

    const aimed = (): Targets => {
      if (aim === undefined) throw new Error('no fixtures');
      return aim;
    };

    /** Sends every case; each must be its refusal, as problem+json, and leave the ledger height alone. */
    async function run(api: Api, cases: readonly Case[]): Promise<void> {
      expect(cases.length, 'cases generated').to.be.greaterThan(0);
      const height = api.height();
      for (const each of cases) {
        let reply: Reply;
        try {
          reply = await api.request(each.who, each.method, each.path, each.options);
        } catch (error) {
          throw new Error(`${each.label}: the request failed: ${String(error)}`, { cause: error });
        }
        sent++;
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        expect(reply.status, `${each.label}: ${reply.text.slice(0, 300)}`).to.be.below(500);
        try {
          expectProblem(reply, each.status, each.code);
        } catch (error) {
          throw new Error(`${each.label} (${each.method} ${each.path.slice(0, 120)}): ${String(error)}`, { cause: error });
        }
        expect(api.height(), `${each.label} reached the ledger`).to.equal(height);
      }
    }

    for (const op of operations.filter((each) => each.method === 'post')) {
      it(`${op.operationId}: every field-by-field mutation of a valid body is 400, as problem+json`, async () => {
        const { api } = suite();
        const actor = actorOf(op).id;
        const base = validBody(op.operationId, contextOf(aimed()));
        const path = pathWith(op, idFor(op, aimed()));
        const schema = op.body;
        if (schema === undefined) throw new Error(`${op.operationId} has no body schema`);
        const cases: Case[] = [];
        for (const mutation of bodyMutations(op.operationId, base)) {
          const refused = !schema.safeParse(mutation.body).success;
          if (!refused) {
            expect(mutation.universal, `${op.operationId}: the schema accepts "${mutation.label}"`).to.equal(false);
            continue;
          }
          cases.push({ label: `${op.operationId} with ${mutation.label}`, who: actor, method: 'POST', path, options: { body: mutation.body }, status: 400, code: 'VALIDATION_FAILED' });
        }
        for (const [label, rawBody, code] of rawBodies) {
          cases.push({ label: `${op.operationId} with ${label}`, who: actor, method: 'POST', path, options: { rawBody, headers: { 'content-type': 'application/json' } }, status: 400, code });
        }
        await run(api, cases);
      });
    }

    for (const op of operations.filter((each) => each.path.includes('{id}'))) {
      it(`${op.operationId}: path ids no route accepts are 400 VALIDATION_FAILED`, async () => {
        const { api } = suite();
        const body = op.method === 'post' ? validBody(op.operationId, contextOf(aimed())) : undefined;
        await run(
          api,
          badIds.map(([label, rawId]) => ({
            label: `${op.operationId} with an id with ${label}`,
            who: actorOf(op).id,
            method: op.method.toUpperCase(),
            path: pathWith(op, rawId),
            options: body === undefined ? {} : { body },
            status: 400,
            code: 'VALIDATION_FAILED',
          })),
        );
      });
    }

    for (const op of operations) {
      it(`${op.operationId}: ${op.method === 'post' ? 'bad Authorization, Idempotency-Key and Content-Type headers are 401, 400 and 415' : 'bad Authorization headers are 401'}`, async () => {
        const { api } = suite();
        const path = pathWith(op, idFor(op, aimed()));
        const method = op.method.toUpperCase();
        const body = op.method === 'post' ? validBody(op.operationId, contextOf(aimed())) : undefined;
        const withBody = body === undefined ? {} : { body };
        const cases: Case[] = badAuthorizations.map(([label, authorization]) => ({
          label: `${op.operationId} with ${label}`,
          who: null,
          method,
          path,
          options: { ...withBody, headers: authorizationHeader(authorization) },
          status: 401,
          code: 'UNAUTHENTICATED',
        }));
        if (body !== undefined) {
          const actor = actorOf(op).id;
          for (const key of badIdempotencyKeys) {
            cases.push({ label: `${op.operationId} with Idempotency-Key ${JSON.stringify(key)}`, who: actor, method, path, options: { body, headers: { 'idempotency-key': key } }, status: 400, code: 'INVALID_HEADER' });
          }
          for (const type of unsupportedTypes) {
            cases.push({ label: `${op.operationId} as ${type}`, who: actor, method, path, options: { rawBody: JSON.stringify(body), headers: { 'content-type': type } }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
          }
        }
        await run(api, cases);
      });
    }

    it('GET /v1/receipts: every malformed query is 400 VALIDATION_FAILED', async () => {
      const { api } = suite();
      await run(
        api,
        badQueries.map((query) => ({ label: `list with ${query.slice(0, 60)}`, who: 'custodian.auditor', method: 'GET', path: `/v1/receipts?${query}`, options: {}, status: 400, code: 'VALIDATION_FAILED' })),
      );
    });

    const seed = testSeed();
    it(`methods no route has on an existing path are 405 METHOD_NOT_ALLOWED, and random paths are 404 ROUTE_NOT_FOUND (${replayHint(seed)})`, async () => {
      const { api } = suite();
      const paths = new Set(operations.map((op) => pathWith(op, idFor(op, aimed()))));
      const cases: Case[] = [];
      for (const path of paths) {
        for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
          if (routeExists(method, path)) continue;
          cases.push({ label: `${method} ${path}`, who: 'custodian.supervisor', method, path, options: method === 'GET' || method === 'DELETE' ? {} : { body: {} }, status: 405, code: 'METHOD_NOT_ALLOWED' });
        }
      }
      const random = prng(seed).next;
      const pick = <T>(items: readonly T[]): T => {
        const item = items[Math.floor(random() * items.length)];
        if (item === undefined) throw new Error('nothing to pick');
        return item;
      };
      const words = ['admin', 'v2', 'receipt', 'lots', 'x', 'null', 'undefined', 'pledge', 'release-all', 'graphql', '.env', 'RECEIPTS', 'confirm'];
      let random404 = 0;
      for (let attempt = 0; random404 < 60 && attempt < 1000; attempt++) {
        const segments = pick([...paths]).split('/').filter((segment) => segment !== '');
        const change = random();
        if (change < 0.4) segments.push(pick(words));
        else if (change < 0.7) segments.splice(1 + Math.floor(random() * (segments.length - 1)), 0, pick(words));
        else segments[Math.floor(random() * segments.length)] = pick(words);
        const path = `/${segments.join('/')}`;
        const method = pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
        // A path the API has, with another method, is a 405: covered above.
        if (routeExists(undefined, path)) continue;
        cases.push({ label: `random ${method} ${path}`, who: 'custodian.supervisor', method, path, options: method === 'GET' || method === 'DELETE' ? {} : { body: {} }, status: 404, code: 'ROUTE_NOT_FOUND' });
        random404++;
      }
      expect(random404).to.equal(60);
      await run(api, cases);
    });

    it(`in all, at least ${MINIMUM_REQUESTS.toString()} malformed requests: zero 5xx, each a problem+json, and the ledger, receipts, lot, projection and audit log unchanged`, async () => {
      const { api } = suite();
      expect(sent).to.be.at.least(MINIMUM_REQUESTS);
      expect([...statuses.keys()].filter((status) => status >= 500)).to.deep.equal([]);
      if (baseline === undefined) throw new Error('no snapshot');
      await expectUnchanged(api, baseline);
    });
  });
}
