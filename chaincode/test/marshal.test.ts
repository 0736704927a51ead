import assert from 'node:assert/strict';
import { z } from 'zod';
import { ChaincodeError } from '../src/errors';
import { marshal, toCanonicalJson, unmarshal } from '../src/marshal';

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const isInternal = (error: unknown): boolean => error instanceof ChaincodeError && error.code === 'INTERNAL';

describe('marshal', () => {
  it('writes the same bytes whatever order the keys were inserted in', () => {
    const a = { b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } };
    const b = { a: { c: 'x', d: [1, { y: null, z: true }] }, b: 1 };
    assert.deepEqual(marshal(a), marshal(b));
    assert.equal(decode(marshal(a)), '{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}');
  });

  it('sorts nested objects inside arrays and keeps array order', () => {
    assert.equal(toCanonicalJson([{ b: 2, a: 1 }, { d: 4, c: 3 }]), '[{"a":1,"b":2},{"c":3,"d":4}]');
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 does', () => {
    assert.equal(toCanonicalJson({ b: 0, B: 0, a: 0, é: 0, '1': 0 }), '{"1":0,"B":0,"a":0,"b":0,"é":0}');
  });

  it('encodes text as UTF-8 without whitespace', () => {
    assert.deepEqual([...marshal({ k: '仓单' })], [...new TextEncoder().encode('{"k":"仓单"}')]);
  });

  it('refuses undefined, functions, non-finite numbers, bigints, dates, maps, class instances and cycles', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    class Thing {
      readonly x = 1;
    }
    for (const value of [
      undefined,
      { a: undefined },
      [undefined],
      () => 1,
      { f: () => 1 },
      Number.NaN,
      Number.POSITIVE_INFINITY,
      { n: Number.NEGATIVE_INFINITY },
      10n,
      new Date(0),
      new Map(),
      new Thing(),
      cyclic,
      Symbol('s'),
    ]) {
      assert.throws(() => marshal(value), isInternal);
    }
  });

  it('refuses sparse arrays instead of writing invalid JSON', () => {
    const sparse: unknown[] = [];
    sparse[1] = 1;
    assert.throws(() => marshal(sparse), isInternal);
  });

  it('accepts the same value twice in one structure (shared, not cyclic)', () => {
    const shared = { x: 1 };
    assert.equal(toCanonicalJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
  });

  it('accepts objects without a prototype', () => {
    const bare: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    bare.k = 'v';
    assert.equal(toCanonicalJson(bare), '{"k":"v"}');
  });
});

describe('unmarshal', () => {
  const schema = z.strictObject({ id: z.string() });

  it('parses bytes through the schema', () => {
    assert.deepEqual(unmarshal(marshal({ id: 'R1' }), schema, 'receipt'), { id: 'R1' });
  });

  it('treats stored bytes that do not match the schema as an internal failure, not the caller\'s', () => {
    assert.throws(() => unmarshal(marshal({ id: 1 }), schema, 'receipt'), isInternal);
    assert.throws(() => unmarshal(marshal({ id: 'R1', extra: true }), schema, 'receipt'), isInternal);
    assert.throws(() => unmarshal(new TextEncoder().encode('{'), schema, 'receipt'), isInternal);
    assert.throws(() => unmarshal(new Uint8Array([0x7b, 0xff, 0x7d]), schema, 'receipt'), isInternal);
  });
});
