import { expect } from 'chai';
import { InvalidArgumentError } from '../src/verifier/errors.js';
import { fromBase64, fromHex, isHash, jcs, sha256, toHex } from '../src/hash.js';

describe('hashing and canonical JSON', () => {
  it('canonicalises RFC 8785 §3.2.2 example exactly', () => {
    const input: unknown = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(jcs(input)).to.equal('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts keys by UTF-16 code units (U+20AC < U+1F600 < U+FB33), nested too', () => {
    expect(jcs({ b: { z: 1, a: [2, { y: 0, x: null }] }, a: '', '\u20ac': 1, '\ud83d\ude00': 2, '\ufb33': 3 })).to.equal(
      '{"a":"","b":{"a":[2,{"x":null,"y":0}],"z":1},"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3}',
    );
  });

  it('refuses what it cannot represent exactly, instead of hashing something else', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    const refused = [undefined, Number.NaN, Infinity, -Infinity, 1n, Symbol('s'), () => 1, { a: undefined }, { f: () => 1 }, [undefined], sparse, new Date(0), Buffer.from('x'), new Map(), { [Symbol('k')]: 1 }, '\ud800', { k: 'a\udc00' }, cyclic, deep];
    for (const value of refused) expect(() => jcs(value), String(typeof value)).to.throw(InvalidArgumentError);
  });

  it('takes objects without a prototype and the __proto__ key of parsed JSON', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    expect(jcs(bare)).to.equal('{"a":2,"b":1}');
    expect(jcs(JSON.parse('{"__proto__":{"x":1}}'))).to.equal('{"__proto__":{"x":1}}');
  });

  it('writes hashes as 0x lowercase hex and parses them strictly', () => {
    const digest = sha256(Buffer.from('abc'));
    expect(toHex(digest)).to.equal('0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(isHash(toHex(digest))).to.equal(true);
    expect(fromHex(toHex(digest), 32).equals(digest)).to.equal(true);
    for (const bad of ['ba78', '0xBA', '0x0', '0xzz', '0x 1', ' 0x00', '0x00\n']) expect(() => fromHex(bad), bad).to.throw(InvalidArgumentError);
    expect(() => fromHex('0x00', 32)).to.throw(InvalidArgumentError);
    expect(isHash(`0x${'A'.repeat(64)}`)).to.equal(false);
  });

  it('parses only canonical padded base64', () => {
    expect(fromBase64('AAEC').equals(Buffer.from([0, 1, 2]))).to.equal(true);
    expect(fromBase64('').length).to.equal(0);
    for (const bad of ['AAE', 'AAE=x', 'AB==', 'A-B_', 'AAEC\n', ' AAEC', 'AA==AA==', 'AAE%']) expect(() => fromBase64(bad), bad).to.throw(InvalidArgumentError);
  });
});
