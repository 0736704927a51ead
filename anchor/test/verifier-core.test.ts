import { expect } from 'chai';
import * as node from '../src/index.js';
import { buildBaselineTree } from '../src/merkle.js';
import * as core from '../src/verifier/index.js';
import { prng, replayHint, testSeed } from '../src/testing/seed.js';
import { inclusionProbes } from './support/rfc6962-vectors.js';

/** True if the core's verifyInclusion refuses, with one of its typed errors (never a TypeError or RangeError). */
function refused(verify: () => void): boolean {
  try {
    verify();
    return false;
  } catch (error) {
    if (error instanceof core.InvalidArgumentError || error instanceof core.ProofLengthError || error instanceof core.RootMismatchError) return true;
    throw error;
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('the verifier core (Uint8Array, @noble) and the Node entry (Buffer, node:crypto)', () => {
  const seed = testSeed();

  it('verifies the RFC 6962 inclusion vectors with the core: each happy path, and refuses every other probe', () => {
    const probes = inclusionProbes();
    expect(probes.length).to.be.greaterThan(90);
    for (const probe of probes) {
      const verify = (): void => core.verifyInclusion(probe.leafIdx, probe.treeSize, new Uint8Array(probe.leafHash), (probe.proof ?? []).map((hash) => new Uint8Array(hash)), new Uint8Array(probe.root));
      if (probe.wantErr) expect(refused(verify), probe.file).to.equal(true);
      else expect(refused(verify), probe.file).to.equal(false);
    }
  });

  it(`hash alike: SHA-256, leaf and node hashes, the empty root (${replayHint(seed)})`, () => {
    const random = prng(seed);
    expect(hex(core.EMPTY_ROOT)).to.equal(hex(node.EMPTY_ROOT));
    for (let round = 0; round < 300; round++) {
      const data = random.bytes(random.int(300));
      const [left, right] = [random.bytes(32), random.bytes(32)];
      expect(hex(core.sha256(data, left))).to.equal(hex(node.sha256(data, left)));
      expect(hex(core.hashLeaf(data))).to.equal(hex(node.hashLeaf(data)));
      expect(hex(core.hashChildren(left, right))).to.equal(hex(node.hashChildren(left, right)));
    }
    expect(() => core.hashChildren(new Uint8Array(31), new Uint8Array(32))).to.throw(core.InvalidArgumentError);
  });

  it(`walk proofs alike, and both refuse a changed root with the same error class (${replayHint(seed)})`, () => {
    const random = prng(seed ^ 0x6962);
    for (let round = 0; round < 20; round++) {
      const size = random.between(1, 300);
      const leaves = Array.from({ length: size }, () => random.bytes(32));
      const tree = buildBaselineTree(leaves);
      const index = random.int(size);
      const path = tree.auditPath(index);
      const fromCore = core.rootFromInclusionProof(index, size, new Uint8Array(leaves[index] ?? []), path.map((hash) => new Uint8Array(hash)));
      expect(fromCore).to.not.be.instanceOf(Buffer);
      expect(hex(fromCore)).to.equal(hex(tree.root));
      expect(node.rootFromInclusionProof(index, size, leaves[index] ?? Buffer.alloc(32), path).equals(tree.root)).to.equal(true);
      const other = random.bytes(32);
      expect(() => core.verifyInclusion(index, size, leaves[index] ?? Buffer.alloc(32), path, other)).to.throw(core.RootMismatchError);
      expect(() => node.verifyInclusion(index, size, leaves[index] ?? Buffer.alloc(32), path, other)).to.throw(core.RootMismatchError);
    }
  });

  it(`spell bytes alike: hex and base64 out, and the same strict parsing in (${replayHint(seed)})`, () => {
    const random = prng(seed ^ 0x64);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
    for (let round = 0; round < 500; round++) {
      const bytes = random.bytes(random.int(70));
      expect(core.toHex(bytes)).to.equal(`0x${bytes.toString('hex')}`);
      expect(core.toBase64(bytes)).to.equal(bytes.toString('base64'));
      expect(hex(core.fromHex(core.toHex(bytes)))).to.equal(bytes.toString('hex'));
      expect(hex(core.fromBase64(bytes.toString('base64')))).to.equal(bytes.toString('hex'));
      // Random spellings: canonical exactly when Buffer's decoder round-trips them, as isBase64 used to be defined.
      const text = Array.from({ length: 4 * random.between(0, 3) }, () => alphabet.charAt(random.int(alphabet.length))).join('');
      const canonical = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text) && Buffer.from(text, 'base64').toString('base64') === text;
      expect(core.isBase64(text), JSON.stringify(text)).to.equal(canonical);
    }
    for (const bad of ['AB==', 'AAF=', 'AAE', '=AAA']) expect(() => core.fromBase64(bad), bad).to.throw(core.InvalidArgumentError);
  });

  it('shares one JCS and one set of errors between the two entries', () => {
    expect(node.jcs).to.equal(core.jcs);
    expect(node.InvalidArgumentError).to.equal(core.InvalidArgumentError);
    expect(node.RootMismatchError).to.equal(core.RootMismatchError);
    expect(new TextDecoder().decode(core.jcsBytes({ b: [1, 'é'], a: null }))).to.equal(node.jcsBytes({ b: [1, 'é'], a: null }).toString('utf8'));
  });
});
