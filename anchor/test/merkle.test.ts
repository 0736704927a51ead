import { expect } from 'chai';
import { MerkleTree } from 'merkletreejs';
import { InvalidArgumentError } from '../src/verifier/errors.js';
import { sha256, toHex } from '../src/hash.js';
import { buildBaselineTree, buildTree } from '../src/merkle.js';
import { EMPTY_ROOT, ProofLengthError, RootMismatchError, auditPathSides, hashChildren, hashLeaf, rootFromInclusionProof, verifyInclusion } from '../src/rfc6962.js';
import { prng, replayHint, testSeed, type Prng } from '../src/testing/seed.js';
import { inclusionProbes } from './support/rfc6962-vectors.js';

/** The leaves of RFC 6962's reference tests (certificate-transparency merkle_tree_test.cc, transparency-dev/merkle). */
const RFC6962_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => Buffer.from(hex, 'hex'));
/** MTH of the first n of those leaves, n = 1..8, as published with them. */
const RFC6962_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** True if verifyInclusion refuses, with one of its typed errors (never a TypeError or RangeError). */
function refused(verify: () => void): boolean {
  try {
    verify();
    return false;
  } catch (error) {
    if (error instanceof InvalidArgumentError || error instanceof ProofLengthError || error instanceof RootMismatchError) return true;
    throw error;
  }
}

function leafHashes(random: Prng, count: number): Buffer[] {
  return Array.from({ length: count }, () => random.bytes(32));
}

function flipBit(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

describe('RFC 6962 Merkle trees', () => {
  describe('the shared inclusion vectors (transparency-dev/merkle)', () => {
    const probes = inclusionProbes();

    it('are all there', () => {
      expect(probes.length).to.be.greaterThan(90);
      expect(probes.filter((probe) => !probe.wantErr)).to.have.length.greaterThan(4);
    });

    for (const probe of probes) {
      it(`${probe.wantErr ? 'refuses' : 'verifies'} ${probe.file} (${probe.desc})`, () => {
        const verify = (): void => verifyInclusion(probe.leafIdx, probe.treeSize, probe.leafHash, probe.proof ?? [], probe.root);
        if (probe.wantErr) expect(refused(verify)).to.equal(true);
        else verify();
      });
    }

    it('describe the reference tree: each happy path is a leaf of the RFC 6962 leaves and leads to their root', () => {
      const happy = probes.filter((p) => !p.wantErr && p.treeSize <= RFC6962_LEAVES.length && p.treeSize > 1);
      expect(happy).to.have.length.greaterThan(2);
      for (const probe of happy) {
        const leaves = RFC6962_LEAVES.slice(0, probe.treeSize).map(hashLeaf);
        expect(toHex(probe.leafHash)).to.equal(toHex(leaves[probe.leafIdx] as Buffer));
        const tree = buildTree(leaves);
        expect(toHex(tree.root)).to.equal(toHex(probe.root));
        expect(tree.auditPath(probe.leafIdx).map(toHex)).to.deep.equal((probe.proof ?? []).map(toHex));
      }
    });
  });

  describe('known roots', () => {
    it('the empty tree is SHA-256 of nothing', () => {
      expect(toHex(EMPTY_ROOT)).to.equal('0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect(buildTree([]).root.equals(EMPTY_ROOT)).to.equal(true);
      expect(buildBaselineTree([]).root.equals(EMPTY_ROOT)).to.equal(true);
    });

    it('the trees over the first 1..8 RFC 6962 reference leaves have the published roots', () => {
      RFC6962_ROOTS.forEach((root, i) => {
        const leaves = RFC6962_LEAVES.slice(0, i + 1).map(hashLeaf);
        expect(buildTree(leaves).root.toString('hex'), `size ${i + 1}`).to.equal(root);
        expect(buildBaselineTree(leaves).root.toString('hex'), `baseline size ${i + 1}`).to.equal(root);
      });
    });

    it('a leaf is domain-separated from a node: a tree of two leaves is not the leaf of their concatenation', () => {
      const [a, b] = [hashLeaf(Buffer.from('a')), hashLeaf(Buffer.from('b'))];
      expect(buildTree([a, b]).root.equals(hashChildren(a, b))).to.equal(true);
      expect(hashChildren(a, b).equals(hashLeaf(Buffer.concat([a, b])))).to.equal(false);
      expect(hashChildren(a, b).equals(sha256(Buffer.concat([a, b])))).to.equal(false);
    });
  });

  describe('merkletreejs as configured here', () => {
    it('builds the same roots and audit paths as the plain node:crypto implementation for every size 1..300', () => {
      const random = prng(6962);
      for (let size = 1; size <= 300; size++) {
        const leaves = leafHashes(random, size);
        const [library, baseline] = [buildTree(leaves), buildBaselineTree(leaves)];
        expect(library.root.equals(baseline.root), `root of ${size}`).to.equal(true);
        for (let index = 0; index < size; index++) {
          const [a, b] = [library.auditPath(index), baseline.auditPath(index)];
          expect(a.length === b.length && a.every((hash, k) => hash.equals(b[k] as Buffer)), `path of ${index} in ${size}`).to.equal(true);
        }
      }
    });

    it('puts each audit path hash on the side auditPathSides says, for every leaf of sizes 1..64', () => {
      const random = prng(64);
      for (let size = 1; size <= 64; size++) {
        const leaves = leafHashes(random, size);
        const tree = new MerkleTree(leaves, (data: Buffer) => sha256(data), { concatenator: (pair: Buffer[]) => Buffer.concat([Buffer.from([1]), ...pair]) });
        for (let index = 0; index < size; index++) {
          const positions = tree.getProof(leaves[index] as Buffer, index).map((step) => step.position);
          expect(positions, `leaf ${index} of ${size}`).to.deep.equal(auditPathSides(index, size));
        }
      }
    });

    it('refuses leaves that are not 32-byte Buffers and indexes outside the tree', () => {
      expect(() => buildTree([Buffer.alloc(31)])).to.throw(InvalidArgumentError);
      expect(() => buildTree(['0x00' as unknown as Buffer])).to.throw(InvalidArgumentError);
      const tree = buildTree([Buffer.alloc(32), Buffer.alloc(32, 1)]);
      for (const index of [-1, 2, 0.5, Number.NaN]) expect(() => tree.auditPath(index)).to.throw(InvalidArgumentError);
    });
  });

  describe('verifyInclusion preconditions', () => {
    const leaves = leafHashes(prng(7), 7);
    const tree = buildBaselineTree(leaves);

    it('needs index < size, and a size of at least one', () => {
      expect(() => verifyInclusion(7, 7, leaves[0] as Buffer, [], tree.root)).to.throw(InvalidArgumentError);
      expect(() => verifyInclusion(0, 0, leaves[0] as Buffer, [], EMPTY_ROOT)).to.throw(InvalidArgumentError);
      expect(() => verifyInclusion(2 ** 53, 2 ** 53 + 2, leaves[0] as Buffer, [], tree.root)).to.throw(InvalidArgumentError);
    });

    it('needs exactly the proof length the index and size imply, and says which', () => {
      const proof = tree.auditPath(3);
      try {
        verifyInclusion(3, 7, leaves[3] as Buffer, [...proof, proof[0] as Buffer], tree.root);
        expect.fail('a proof with an extra hash verified');
      } catch (error) {
        expect(error).to.be.instanceOf(ProofLengthError);
        expect(error).to.include({ expectedLength: 3, actualLength: 4 });
      }
    });

    it('reports a root mismatch with both roots as evidence', () => {
      const other = Buffer.alloc(32, 0xab);
      try {
        verifyInclusion(3, 7, leaves[3] as Buffer, tree.auditPath(3), other);
        expect.fail('verified against the wrong root');
      } catch (error) {
        expect(error).to.be.instanceOf(RootMismatchError);
        const mismatch = error as RootMismatchError;
        expect(mismatch.expectedRoot.equals(other)).to.equal(true);
        expect(mismatch.calculatedRoot.equals(tree.root)).to.equal(true);
      }
    });

    it('needs 32-byte leaf, proof and root hashes', () => {
      const proof = tree.auditPath(3);
      expect(() => verifyInclusion(3, 7, Buffer.alloc(33), proof, tree.root)).to.throw(InvalidArgumentError);
      expect(() => verifyInclusion(3, 7, leaves[3] as Buffer, [...proof.slice(0, 2), Buffer.alloc(31)], tree.root)).to.throw(InvalidArgumentError);
      expect(() => verifyInclusion(3, 7, leaves[3] as Buffer, proof, tree.root.subarray(1))).to.throw(InvalidArgumentError);
    });

    it('works with sizes beyond 2^32, where JavaScript bit operators would truncate', () => {
      // The last of 2^40 + 3 leaves is carried up once, then meets the pair before it and the full left subtree.
      const size = 2 ** 40 + 3;
      expect(auditPathSides(size - 1, size)).to.deep.equal(['left', 'left']);
      expect(auditPathSides(2 ** 32, size)).to.have.length(41);
      const leaf = hashLeaf(Buffer.from('x'));
      const proof = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
      const root = rootFromInclusionProof(size - 1, size, leaf, proof);
      expect(root.equals(hashChildren(proof[1] as Buffer, hashChildren(proof[0] as Buffer, leaf)))).to.equal(true);
    });
  });

  describe('properties over random trees', () => {
    const seed = testSeed();

    it(`every audit path verifies, and every single-bit change of leaf, path, index or root is refused (${replayHint(seed)})`, function () {
      this.timeout(60_000);
      const random = prng(seed);
      const sizes = [1, 2, 3, 1024, 1025, 2000, ...Array.from({ length: 10 }, () => random.between(1, 2000))];
      for (const size of sizes) {
        const leaves = leafHashes(random, size);
        const tree = buildTree(leaves);
        const where = (index: number): string => `leaf ${index} of ${size}, seed ${seed}`;
        for (let index = 0; index < size; index++) verifyInclusion(index, size, leaves[index] as Buffer, tree.auditPath(index), tree.root);
        for (let sample = 0; sample < 6; sample++) {
          const index = random.int(size);
          const [leaf, proof] = [leaves[index] as Buffer, tree.auditPath(index)];
          expect(refused(() => verifyInclusion(index, size, flipBit(leaf, random.int(256)), proof, tree.root)), `leaf bit, ${where(index)}`).to.equal(true);
          expect(refused(() => verifyInclusion(index, size, leaf, proof, flipBit(tree.root, random.int(256)))), `root bit, ${where(index)}`).to.equal(true);
          proof.forEach((hash, k) => {
            const changed = proof.map((h, j) => (j === k ? flipBit(hash, random.int(256)) : h));
            expect(refused(() => verifyInclusion(index, size, leaf, changed, tree.root)), `path[${k}] bit, ${where(index)}`).to.equal(true);
          });
          for (let bit = 0; bit < 12; bit++) {
            expect(refused(() => verifyInclusion(index ^ (1 << bit), size, leaf, proof, tree.root)), `index bit ${bit}, ${where(index)}`).to.equal(true);
          }
        }
      }
    });

    it(`a single-bit change of the tree size is refused unless it leaves the proof's shape alone (${replayHint(seed)})`, () => {
      // RFC 6962 audit paths do not commit to the tree size beyond their shape: the path of leaf 0 of 5 leaves
      // also verifies as leaf 0 of 6. The size is bound by the checkpoint hash, which is what the bundle verifier
      // relies on (proof.treeSize must equal checkpoint.leafCount).
      const random = prng(seed ^ 0x5a5a5a5a);
      let refusals = 0;
      for (let round = 0; round < 40; round++) {
        const size = random.between(1, 2000);
        const leaves = leafHashes(random, size);
        const tree = buildBaselineTree(leaves);
        const index = random.int(size);
        const proof = tree.auditPath(index);
        for (let bit = 0; bit < 12; bit++) {
          const changed = size ^ (1 << bit);
          const sameShape = index < changed && JSON.stringify(auditPathSides(index, changed)) === JSON.stringify(auditPathSides(index, size));
          const verify = (): void => verifyInclusion(index, changed, leaves[index] as Buffer, proof, tree.root);
          if (sameShape) verify();
          else {
            expect(refused(verify), `size ${size} -> ${changed}, leaf ${index}, seed ${seed}`).to.equal(true);
            refusals++;
          }
        }
      }
      expect(refusals).to.be.greaterThan(0);
    });
  });
});
