import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getAddress } from 'ethers';
import { fromBase64, toHex } from '../src/hash.js';
import { reservePort } from '../src/testing/ports.js';
import { prng, replayHint, testSeed } from '../src/testing/seed.js';
import {
  BUNDLE_FORMAT,
  checkNames,
  checkpointHash,
  jcs,
  reasonCodes,
  verifyBundle,
  verifyBundleJson,
  type CheckName,
  type DeviceReadingRecord,
  type EvidenceBundle,
  type VerifyOptions,
  type VerifyResult,
} from '../src/verifier/index.js';
import { bundleFixture, makeDevice, type BundleFixture } from './support/bundle-fixture.js';
import { startTestChain, type TestChain } from './support/test-chain.js';

type Outcomes = Record<CheckName, string>;

/** Each check as `STATUS REASON`, for whole-result comparisons. */
function outcomes(result: VerifyResult): Outcomes {
  return Object.fromEntries(result.checks.map((check) => [check.name, `${check.status} ${check.reason}`])) as Outcomes;
}

const OFFLINE_VALID: Outcomes = {
  format: 'VALID OK',
  'device-signature': 'VALID OK',
  'leaf-hash': 'VALID OK',
  'inclusion-proof': 'VALID OK',
  'checkpoint-hash': 'VALID OK',
  anchor: 'SKIPPED RPC_NOT_GIVEN',
};

/** Asserts the result is a proper list of checks, whatever the input was. */
function expectWellFormed(result: VerifyResult): void {
  expect(result.checks.map((check) => check.name)).to.deep.equal([...checkNames]);
  for (const check of result.checks) {
    expect(['VALID', 'INVALID', 'ERROR', 'SKIPPED']).to.include(check.status);
    expect(reasonCodes).to.include(check.reason);
    expect(check.detail).to.be.a('string');
    expect(check.required).to.be.a('boolean');
  }
  expect(result.ok).to.equal(result.checks.every((check) => !check.required || check.status === 'VALID'));
}

function reading(bundle: EvidenceBundle): DeviceReadingRecord {
  if (bundle.evidence.kind !== 'device-reading') throw new Error('not a device reading');
  return bundle.evidence.record;
}

function flipLastBit(hex: `0x${string}`): `0x${string}` {
  const bytes = Buffer.from(hex.slice(2), 'hex');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
  return toHex(bytes);
}

const otherHash = (seed: number): `0x${string}` => toHex(prng(seed).bytes(32));

interface Tampering {
  readonly what: string;
  readonly evidence?: readonly number[];
  readonly change: (bundle: EvidenceBundle, fixture: BundleFixture) => unknown;
  readonly expect: Partial<Outcomes>;
}

const signatureCases = [0, 1]; // Ed25519, ECDSA P-256

const tamperings: Tampering[] = [
  { what: 'a reading in the signed envelope', evidence: signatureCases, change: (b) => ((reading(b).envelope.readings[0] as { value: number }).value = 30), expect: { 'device-signature': 'INVALID SIGNATURE_MISMATCH', 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH' } },
  { what: 'the envelope seq', evidence: signatureCases, change: (b) => (reading(b).envelope.seq += 1), expect: { 'device-signature': 'INVALID SIGNATURE_MISMATCH', 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH' } },
  { what: 'receivedAt, which the device does not sign', change: (b) => (reading(b).receivedAt = '2026-01-15T09:00:00Z'), expect: { 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH' } },
  { what: 'one bit of the signature', evidence: signatureCases, change: (b) => (reading(b).signature = ((sig) => (sig[sig.length - 1]! ^= 1, sig.toString('base64')))(fromBase64(reading(b).signature))), expect: { 'device-signature': 'INVALID SIGNATURE_MISMATCH', 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH' } },
  { what: 'the signature of another reading', evidence: signatureCases, change: (b, f) => (reading(b).signature = reading(f.bundle(b.leaf.index + 4)).signature), expect: { 'device-signature': 'INVALID SIGNATURE_MISMATCH', 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH' } },
  { what: 'a signature that is not base64', change: (b) => (reading(b).signature = 'not base64!'), expect: { format: 'INVALID SCHEMA_MISMATCH', 'device-signature': 'ERROR INPUT_MALFORMED', 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH' } },
  { what: 'a truncated Ed25519 signature', change: (b) => (reading(b).signature = fromBase64(reading(b).signature).subarray(0, 63).toString('base64')), expect: { 'device-signature': 'INVALID SIGNATURE_MALFORMED', 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH' } },
  { what: 'a truncated DER signature', evidence: [1], change: (b) => (reading(b).signature = fromBase64(reading(b).signature).subarray(0, 40).toString('base64')), expect: { 'device-signature': 'INVALID SIGNATURE_MALFORMED', 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH' } },
  { what: "another key of the device's algorithm", evidence: signatureCases, change: (b) => (b.device!.publicKey = makeDevice('x', b.device!.algorithm).publicKey), expect: { 'device-signature': 'INVALID SIGNATURE_MISMATCH' } },
  { what: 'the algorithm', evidence: signatureCases, change: (b) => (b.device!.algorithm = b.device!.algorithm === 'Ed25519' ? 'ECDSA-P256' : 'Ed25519'), expect: { 'device-signature': 'INVALID ALGORITHM_MISMATCH' } },
  { what: 'a P-384 key for a P-256 device', evidence: [1], change: (b) => (b.device!.publicKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString()), expect: { 'device-signature': 'INVALID ALGORITHM_MISMATCH' } },
  { what: 'a PEM block whose DER is not a public key', change: (b) => (b.device!.publicKey = `-----BEGIN PUBLIC KEY-----\n${prng(9).bytes(44).toString('base64')}\n-----END PUBLIC KEY-----\n`), expect: { 'device-signature': 'INVALID PUBLIC_KEY_MALFORMED' } },
  { what: 'a private key relabelled as a public key', change: (b, f) => (b.device!.publicKey = f.ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replaceAll('PRIVATE', 'PUBLIC')), expect: { 'device-signature': 'INVALID PUBLIC_KEY_MALFORMED' } },
  { what: 'a public key that is not PEM', change: (b) => (b.device!.publicKey = 'MCowBQYDK2VwAyEA'), expect: { format: 'INVALID SCHEMA_MISMATCH', 'device-signature': 'ERROR INPUT_MALFORMED' } },
  { what: 'the device id', change: (b) => (b.device!.id = 'dev-other'), expect: { 'device-signature': 'INVALID DEVICE_MISMATCH' } },
  { what: 'the device, left out', change: (b) => (b.device = null), expect: { 'device-signature': 'INVALID DEVICE_MISSING' } },
  { what: 'the kind, relabelled document', change: (b) => ((b.evidence as { kind: string }).kind = 'document'), expect: { format: 'INVALID SCHEMA_MISMATCH', 'device-signature': 'ERROR INPUT_MALFORMED' } },
  ...[0, 1, 2].map((k): Tampering => ({ what: `one bit of path[${k}]`, change: (b) => (b.proof.path[k] = flipLastBit(b.proof.path[k]!)), expect: { 'inclusion-proof': 'INVALID ROOT_MISMATCH' } })),
  { what: 'an extra path hash', change: (b) => b.proof.path.push(otherHash(3)), expect: { 'inclusion-proof': 'INVALID PROOF_LENGTH_MISMATCH' } },
  { what: 'a path hash left out', change: (b) => b.proof.path.pop(), expect: { 'inclusion-proof': 'INVALID PROOF_LENGTH_MISMATCH' } },
  { what: 'the leaf index, to its neighbour', change: (b) => (b.leaf.index ^= 1), expect: { 'inclusion-proof': 'INVALID ROOT_MISMATCH' } },
  { what: 'the leaf index, beyond the tree', change: (b) => (b.leaf.index = 7), expect: { 'inclusion-proof': 'INVALID INDEX_OUT_OF_RANGE' } },
  { what: 'the leaf hash', change: (b) => (b.leaf.hash = flipLastBit(b.leaf.hash)), expect: { 'leaf-hash': 'INVALID LEAF_HASH_MISMATCH', 'inclusion-proof': 'INVALID ROOT_MISMATCH' } },
  { what: 'the proof tree size', change: (b) => (b.proof.treeSize = 8), expect: { 'inclusion-proof': 'INVALID TREE_SIZE_MISMATCH' } },
  { what: 'checkpoint.leafCount', change: (b) => (b.checkpoint.leafCount = 8), expect: { 'inclusion-proof': 'INVALID TREE_SIZE_MISMATCH', 'checkpoint-hash': 'INVALID CHECKPOINT_HASH_MISMATCH' } },
  { what: 'checkpoint.seq', change: (b) => (b.checkpoint.seq = 2), expect: { 'checkpoint-hash': 'INVALID CHECKPOINT_HASH_MISMATCH' } },
  { what: 'checkpoint.prevHash', change: (b) => (b.checkpoint.prevHash = flipLastBit(b.checkpoint.prevHash)), expect: { 'checkpoint-hash': 'INVALID CHECKPOINT_HASH_MISMATCH' } },
  { what: 'checkpoint.firstLeafIndex', change: (b) => (b.checkpoint.firstLeafIndex = 4), expect: { 'checkpoint-hash': 'INVALID CHECKPOINT_HASH_MISMATCH' } },
  { what: 'checkpoint.createdAt', change: (b) => (b.checkpoint.createdAt = '2026-01-15T08:10:00Z'), expect: { 'checkpoint-hash': 'INVALID CHECKPOINT_HASH_MISMATCH' } },
  { what: 'checkpoint.hash', change: (b) => (b.checkpoint.hash = flipLastBit(b.checkpoint.hash)), expect: { 'checkpoint-hash': 'INVALID CHECKPOINT_HASH_MISMATCH' } },
  { what: 'checkpoint.root', change: (b) => (b.checkpoint.root = flipLastBit(b.checkpoint.root)), expect: { 'inclusion-proof': 'INVALID ROOT_MISMATCH', 'checkpoint-hash': 'INVALID CHECKPOINT_HASH_MISMATCH' } },
  {
    what: 'the checkpoint, re-hashed as a seq 0 that does not start the chain',
    change: (b) => ((b.checkpoint.seq = 0), (b.checkpoint.hash = checkpointHash(b.checkpoint))),
    expect: { 'checkpoint-hash': 'INVALID GENESIS_MISMATCH' },
  },
  { what: 'the format version', change: (b) => ((b as { format: string }).format = 'wr-evidence-bundle/2'), expect: { format: 'INVALID UNSUPPORTED_FORMAT' } },
  { what: 'an unknown member', change: (b) => Object.assign(b, { note: 'added' }), expect: { format: 'INVALID SCHEMA_MISMATCH' } },
  { what: 'the explanation, left out', change: (b) => delete (b as Partial<EvidenceBundle>).explanation, expect: { format: 'INVALID SCHEMA_MISMATCH' } },
  { what: 'an uppercase hash', change: (b) => (b.anchor.txHash = b.anchor.txHash.toUpperCase().replace('0X', '0x') as `0x${string}`), expect: { format: 'INVALID SCHEMA_MISMATCH' } },
];

describe('verifyBundle', () => {
  let fixture: BundleFixture;
  before(() => {
    fixture = bundleFixture();
  });

  describe('offline', () => {
    it('passes a valid bundle of each reading (Ed25519 and ECDSA P-256) with the anchor check skipped and not required', async () => {
      for (const index of [0, 1, 4, 5, 6]) {
        const result = await verifyBundle(fixture.bundle(index));
        expectWellFormed(result);
        expect(outcomes(result), `evidence ${index}`).to.deep.equal(OFFLINE_VALID);
        expect(result.ok).to.equal(true);
        expect(result.checks.find((check) => check.name === 'anchor')?.required).to.equal(false);
      }
    });

    it('passes documents and ledger events, whose device signature is not applicable and not required', async () => {
      for (const index of [2, 3]) {
        const result = await verifyBundle(fixture.bundle(index));
        expect(outcomes(result)).to.deep.equal({ ...OFFLINE_VALID, 'device-signature': 'SKIPPED NOT_APPLICABLE' });
        expect(result.checks.find((check) => check.name === 'device-signature')?.required).to.equal(false);
        expect(result.ok).to.equal(true);
      }
    });

    it('reads bundles as JSON text and bytes, and fails text that is not JSON or not UTF-8 with NOT_JSON', async () => {
      const text = JSON.stringify(fixture.bundle(0));
      expect((await verifyBundleJson(text)).ok).to.equal(true);
      expect((await verifyBundleJson(Buffer.from(`\ufeff${text}`))).ok).to.equal(true);
      for (const bad of ['', '{', 'null x', Buffer.from([0x7b, 0xff, 0x7d])]) {
        const result = await verifyBundleJson(bad);
        expectWellFormed(result);
        expect(outcomes(result).format).to.equal('INVALID NOT_JSON');
        expect(result.ok).to.equal(false);
      }
    });

    for (const tampering of tamperings) {
      for (const index of tampering.evidence ?? [0]) {
        it(`fails the matching checks when ${tampering.what} changes (evidence ${index}), the others still valid`, async () => {
          const bundle = fixture.bundle(index);
          tampering.change(bundle, fixture);
          const result = await verifyBundle(bundle);
          expectWellFormed(result);
          expect(outcomes(result)).to.deep.equal({ ...OFFLINE_VALID, ...tampering.expect });
          expect(result.ok).to.equal(false);
        });
      }
    }

    it('changes nothing when the contract address is EIP-55 checksummed', async () => {
      const bundle = fixture.bundle(0);
      bundle.anchor.contract = getAddress(bundle.anchor.contract);
      expect((await verifyBundle(bundle)).ok).to.equal(true);
    });
  });

  describe('on garbage', () => {
    it('never throws, and answers with every check, for values of every kind', async () => {
      const cyclic: Record<string, unknown> = { format: BUNDLE_FORMAT };
      cyclic.evidence = { id: 'x', kind: 'document', record: cyclic };
      let deep: unknown = { type: 'document' };
      for (let i = 0; i < 100_000; i++) deep = { type: 'document', deeper: deep };
      const hostile = new Proxy({}, { get: () => { throw new Error('trap'); }, has: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } });
      const getter = Object.defineProperty({ format: BUNDLE_FORMAT }, 'evidence', { enumerable: true, get: () => { throw new Error('getter'); } });
      const unprintable = { toString: (): string => { throw new Error('no'); } };
      const nasty = new Proxy({}, {
        get: () => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- hostile input throws whatever it likes
          throw unprintable;
        },
      });
      const inputs: unknown[] = [nasty, null, undefined, 0, -1, 1e308, Number.NaN, '', 'wr-evidence-bundle/1', [], {}, true, 2n, Symbol('x'), () => 0, new Date(0), Buffer.from('{}'), { format: BUNDLE_FORMAT }, cyclic, { ...fixture.bundle(2), evidence: { id: 'x', kind: 'document', record: deep } }, hostile, getter];
      for (const input of inputs) {
        const result = await verifyBundle(input);
        expectWellFormed(result);
        expect(result.ok, String(typeof input)).to.equal(false);
      }
    });

    it('never throws when any member holds a value of the wrong kind, huge numbers and malformed hex, base64 and PEM included', async () => {
      const garbage: unknown[] = [null, 'x', '', 1e308, -1, 0.5, 2 ** 53, Number.MAX_SAFE_INTEGER, [], {}, true, `0x${'A'.repeat(64)}`, '0x', `0x${'0'.repeat(63)}`, '====', '-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----'];
      let runs = 0;
      for (const path of leafPaths(fixture.bundle(0))) {
        for (const value of garbage) {
          const bundle = fixture.bundle(0);
          setAt(bundle, path, value);
          expectWellFormed(await verifyBundle(bundle));
          runs++;
        }
      }
      expect(runs).to.be.greaterThan(500);
    });

    it('handles the largest tree sizes and indexes a bundle can name', async () => {
      const bundle = fixture.bundle(0);
      bundle.proof.treeSize = Number.MAX_SAFE_INTEGER;
      bundle.checkpoint.leafCount = Number.MAX_SAFE_INTEGER;
      bundle.leaf.index = Number.MAX_SAFE_INTEGER - 1;
      const result = await verifyBundle(bundle);
      expect(outcomes(result)['inclusion-proof']).to.equal('INVALID PROOF_LENGTH_MISMATCH');
    });

    const seed = testSeed();
    it(`fails, without throwing, every random change to a hashed member (${replayHint(seed)})`, async () => {
      const random = prng(seed);
      const values = (): unknown => [null, random.int(1000), -random.int(1000), 'x', otherHash(random.int(1e6)), [], {}, true, random.bytes(8).toString('base64')][random.int(9)];
      for (let round = 0; round < 300; round++) {
        const bundle = fixture.bundle(random.int(7));
        const paths = leafPaths(bundle);
        const path = paths[random.int(paths.length)] as (string | number)[];
        const before = JSON.stringify(bundle);
        setAt(bundle, path, values());
        const result = await verifyBundle(bundle);
        expectWellFormed(result);
        // No hash covers these: evidence.id, ledger, explanation; offline, the anchor is not checked either.
        const informational = ['explanation', 'ledger', 'anchor'].includes(String(path[0])) || (path[0] === 'evidence' && path[1] === 'id');
        if (!informational && JSON.stringify(bundle) !== before) expect(result.ok, `${path.join('.')} (seed ${seed})`).to.equal(false);
      }
    });
  });

  describe('the explanation', () => {
    it('tells how to check each step with sha256sum, xxd and openssl, and its commands do so', async function () {
      this.timeout(20_000);
      const dir = await mkdtemp(join(tmpdir(), 'wr-explain-'));
      try {
        for (const index of [0, 1]) {
          const bundle = fixture.bundle(index);
          const record = reading(bundle);
          await writeFile(join(dir, 'record.jcs'), jcs(record));
          await writeFile(join(dir, 'envelope.jcs'), jcs(record.envelope));
          await writeFile(join(dir, 'device.pem'), bundle.device!.publicKey);
          await writeFile(join(dir, 'sig.bin'), fromBase64(record.signature));
          const commands = bundle.explanation.split('\n').map((line) => line.trim());
          const leafCommand = commands.find((line) => line.startsWith("(printf '\\000'; cat record.jcs)"));
          expect(await sh(leafCommand!, dir)).to.equal(`${bundle.leaf.hash.slice(2)}  -`);
          const opensslCommand = commands.find((line) => line.startsWith('openssl'))!.replace(/\s+\(.*$/, '');
          await sh(opensslCommand, dir);
          const checkpointCommand = commands.find((line) => line.startsWith("printf '%s' '{"));
          expect(await sh(checkpointCommand!, dir)).to.equal(`${bundle.checkpoint.hash.slice(2)}  -`);
          // Follow the numbered steps with the node-hash command the text gives.
          let h = bundle.leaf.hash.slice(2);
          for (const line of commands.filter((l) => l.startsWith('step '))) {
            const k = Number(/path\[(\d+)\]/.exec(line)?.[1]);
            const sibling = bundle.proof.path[k]!.slice(2);
            const [left, right] = line.includes(`path[${k}] || h`) ? [sibling, h] : [h, sibling];
            h = (await sh(`(printf '\\001'; printf '%s%s' ${left} ${right} | xxd -r -p) | sha256sum`, dir)).slice(0, 64);
          }
          expect(`0x${h}`).to.equal(bundle.checkpoint.root);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('says a document is not signed, and names the chain, transaction, contract and event topic', () => {
      const text = fixture.bundle(2).explanation;
      expect(text).to.include('not applicable');
      for (const value of [OFFLINE_ANCHOR_TX, 'Anchored(bytes32,bytes32,uint64)', fixture.checkpoint.root, fixture.checkpoint.hash]) expect(text).to.include(value);
    });
  });

  describe('the anchor, on an in-process Hardhat chain', function () {
    this.timeout(60_000);
    let chain: TestChain;
    let anchored: EvidenceBundle;
    const verifyOn = (bundle: EvidenceBundle, options?: VerifyOptions): Promise<VerifyResult> => verifyBundle(bundle, options ?? { provider: chain.provider });
    const ONLINE_VALID: Outcomes = { ...OFFLINE_VALID, anchor: 'VALID OK' };

    before(async () => {
      chain = await startTestChain();
      anchored = fixture.bundle(0, await chain.anchor(fixture.checkpoint));
    });
    after(async () => {
      await chain?.close();
    });

    it('passes when the contract emitted the root, checkpoint hash and seq in that transaction, block and time', async () => {
      const result = await verifyOn(anchored);
      expect(outcomes(result)).to.deep.equal(ONLINE_VALID);
      expect(result.ok).to.equal(true);
      const anchor = result.checks.find((check) => check.name === 'anchor');
      expect(anchor?.required).to.equal(true);
      expect(anchor?.detail).to.include(fixture.checkpoint.hash).and.include('confirmation');
    });

    it('passes through the chain’s own EIP-1193 provider and over HTTP JSON-RPC alike', async () => {
      expect(outcomes(await verifyOn(anchored, { provider: chain.eip1193 }))).to.deep.equal(ONLINE_VALID);
      const server = await chain.serveHttp();
      try {
        expect(outcomes(await verifyOn(anchored, { rpcUrl: server.url }))).to.deep.equal(ONLINE_VALID);
      } finally {
        await server.close();
      }
    });

    const anchorTamperings: { what: string; change: (bundle: EvidenceBundle) => Promise<void> | void; reason: string }[] = [
      { what: 'txHash, to a transaction that does not exist', change: (b) => void (b.anchor.txHash = otherHash(11)), reason: 'TX_NOT_FOUND' },
      { what: 'the transaction, to a call that emitted no Anchored log', change: async (b) => void (b.anchor = await chain.poke()), reason: 'EVENT_NOT_FOUND' },
      { what: 'txHash, to a transaction that reverted', change: async (b) => void (b.anchor.txHash = (await chain.fail()) as `0x${string}`), reason: 'TX_FAILED' },
      { what: 'blockNumber', change: (b) => void (b.anchor.blockNumber += 1), reason: 'BLOCK_NUMBER_MISMATCH' },
      { what: 'blockHash', change: (b) => void (b.anchor.blockHash = otherHash(12)), reason: 'BLOCK_HASH_MISMATCH' },
      { what: 'blockTimestamp', change: (b) => void (b.anchor.blockTimestamp += 1), reason: 'BLOCK_TIMESTAMP_MISMATCH' },
      { what: 'contract', change: (b) => void (b.anchor.contract = '0x000000000000000000000000000000000000dead'), reason: 'EVENT_NOT_FOUND' },
      { what: 'chainId', change: (b) => void (b.anchor.chainId = 1), reason: 'CHAIN_ID_MISMATCH' },
    ];
    for (const tampering of anchorTamperings) {
      it(`fails the anchor check alone when ${tampering.what} changes`, async () => {
        const bundle = structuredClone(anchored);
        await tampering.change(bundle);
        const result = await verifyOn(bundle);
        expect(outcomes(result)).to.deep.equal({ ...ONLINE_VALID, anchor: `INVALID ${tampering.reason}` });
        expect(result.ok).to.equal(false);
      });
    }

    it('fails with EVENT_MISMATCH when the transaction anchored another checkpoint', async () => {
      const bundle = structuredClone(anchored);
      bundle.checkpoint.createdAt = '2026-01-15T08:11:00Z';
      bundle.checkpoint.hash = checkpointHash(bundle.checkpoint);
      expect(outcomes(await verifyOn(bundle))).to.deep.equal({ ...ONLINE_VALID, anchor: 'INVALID EVENT_MISMATCH' });
    });

    it('reports an RPC it cannot use as ERROR, required, never as VALID', async () => {
      const cases: [VerifyOptions, string][] = [
        // A reserved port: nothing listens on it.
        [{ rpcUrl: `http://127.0.0.1:${String(await reservePort())}` }, 'ERROR RPC_UNAVAILABLE'],
        [{ rpcUrl: 'ftp://127.0.0.1/' }, 'ERROR RPC_URL_INVALID'],
        [{ provider: { send: () => new Promise(() => undefined) }, timeoutMs: 100 }, 'ERROR RPC_UNAVAILABLE'],
        [{ provider: { send: () => Promise.reject(new Error('boom')) } }, 'ERROR RPC_ERROR'],
        [{ provider: { send: (method) => Promise.resolve(method === 'eth_chainId' ? '0x7a69' : { status: 'yes' }) } }, 'ERROR RPC_RESPONSE_MALFORMED'],
        [{ provider: { send: () => { throw new Error('sync'); } } }, 'ERROR RPC_ERROR'],
      ];
      for (const [options, expected] of cases) {
        const result = await verifyOn(anchored, options);
        expect(outcomes(result)).to.deep.equal({ ...ONLINE_VALID, anchor: expected });
        expect(result.checks.find((check) => check.name === 'anchor')?.required).to.equal(true);
        expect(result.ok).to.equal(false);
      }
    });
  });
});

const OFFLINE_ANCHOR_TX = `0x${'ab'.repeat(32)}`;

/** Paths to every leaf value of a JSON value (arrays and objects walked). */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.length === 0 ? [prefix] : value.flatMap((item, i) => leafPaths(item, [...prefix, i]));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0 ? [prefix] : entries.flatMap(([key, item]) => leafPaths(item, [...prefix, key]));
  }
  return [prefix];
}

function setAt(target: unknown, path: readonly (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
}

async function sh(command: string, cwd: string): Promise<string> {
  const { stdout } = await promisify(execFile)('sh', ['-c', command], { cwd });
  return stdout.trim();
}
