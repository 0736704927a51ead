import { expect } from 'chai';
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import {
  InvalidArgumentError,
  KeyAlgorithmError,
  checkEnvelopeSignature,
  jcsBytes,
  parsePublicKeyPem,
  type DeviceAlgorithm,
  type DeviceEnvelope,
  type SignatureFailure,
} from '../src/verifier/index.js';
import { prng, replayHint, testSeed, type Prng } from '../src/testing/seed.js';

/**
 * The verifier core reads keys and checks signatures with its own DER reader and @noble/curves. Before, node:crypto
 * (OpenSSL) did both; these tests hold the core to what OpenSSL decided, case by case and on random corruptions.
 */

type Outcome = 'OK' | SignatureFailure;

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const EC_P256_PREFIX = Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex');

function pemOf(der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

const spkiOf = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });

/** The key checks as node:crypto made them: parses, re-exports to the same DER, and is of the device's type. */
function opensslKey(algorithm: DeviceAlgorithm, der: Buffer): { outcome: Outcome; actual?: string } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (error) {
    if (error instanceof Error) return { outcome: 'PUBLIC_KEY_MALFORMED' };
    throw error;
  }
  if (!spkiOf(key).equals(der)) return { outcome: 'PUBLIC_KEY_MALFORMED' };
  const matches = algorithm === 'Ed25519' ? key.asymmetricKeyType === 'ed25519' : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  return matches ? { outcome: 'OK' } : { outcome: 'ALGORITHM_MISMATCH', actual: key.asymmetricKeyType ?? 'unknown' };
}

/** The core's verdict on a key, with the key type it names on ALGORITHM_MISMATCH. */
function coreKey(algorithm: DeviceAlgorithm, der: Uint8Array): { outcome: Outcome; actual?: string } {
  try {
    parsePublicKeyPem(algorithm, pemOf(der));
    return { outcome: 'OK' };
  } catch (error) {
    if (error instanceof KeyAlgorithmError) return { outcome: 'ALGORITHM_MISMATCH', actual: error.actual };
    if (error instanceof InvalidArgumentError) return { outcome: 'PUBLIC_KEY_MALFORMED' };
    throw error;
  }
}

/** SPKI of a P-256 point given as SEC1 bytes (any form). */
function p256Spki(point: Uint8Array): Buffer {
  const bits = Buffer.concat([Buffer.from([0x03, point.length + 1, 0]), point]);
  const body = Buffer.concat([EC_P256_PREFIX, bits]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function flipBit(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

describe('the verifier core against node:crypto', () => {
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const edDer = spkiOf(ed.publicKey);
  const ecDer = spkiOf(ec.publicKey);
  const { x, y } = ((jwk) => ({ x: Buffer.from(jwk.x ?? '', 'base64url'), y: Buffer.from(jwk.y ?? '', 'base64url') }))(ec.publicKey.export({ format: 'jwk' }));
  const yOdd = (y[31] ?? 0) & 1;

  describe('public keys', () => {
    const cases: { what: string; algorithm: DeviceAlgorithm; der: Buffer; expect: Outcome }[] = [
      { what: 'an Ed25519 key', algorithm: 'Ed25519', der: edDer, expect: 'OK' },
      { what: 'a P-256 key, uncompressed', algorithm: 'ECDSA-P256', der: ecDer, expect: 'OK' },
      { what: 'a P-256 key, compressed', algorithm: 'ECDSA-P256', der: p256Spki(Buffer.concat([Buffer.of(2 + yOdd), x])), expect: 'OK' },
      { what: 'a P-256 key, hybrid', algorithm: 'ECDSA-P256', der: p256Spki(Buffer.concat([Buffer.of(6 + yOdd), x, y])), expect: 'OK' },
      { what: 'a hybrid P-256 key with the wrong parity', algorithm: 'ECDSA-P256', der: p256Spki(Buffer.concat([Buffer.of(7 - yOdd), x, y])), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'a P-256 point off the curve', algorithm: 'ECDSA-P256', der: p256Spki(Buffer.concat([Buffer.of(4), x, flipBit(y, 0)])), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'a compressed P-256 x beyond the field', algorithm: 'ECDSA-P256', der: p256Spki(Buffer.concat([Buffer.of(2), Buffer.alloc(32, 0xff)])), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'an Ed25519 key with NULL parameters', algorithm: 'Ed25519', der: Buffer.concat([Buffer.from('302c300706032b65700500032100', 'hex'), edDer.subarray(12)]), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'an Ed25519 key of 31 bytes', algorithm: 'Ed25519', der: Buffer.concat([Buffer.from('3029300506032b6570032000', 'hex'), edDer.subarray(13)]), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'an Ed25519 key with unused bits', algorithm: 'Ed25519', der: Buffer.concat([Buffer.from('302a300506032b6570032101', 'hex'), edDer.subarray(12)]), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'a key with a long-form outer length', algorithm: 'ECDSA-P256', der: Buffer.concat([Buffer.from([0x30, 0x81, 0x59]), ecDer.subarray(2)]), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'a key with a trailing byte', algorithm: 'ECDSA-P256', der: Buffer.concat([ecDer, Buffer.of(0)]), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'a P-256 key for an Ed25519 device', algorithm: 'Ed25519', der: ecDer, expect: 'ALGORITHM_MISMATCH' },
      { what: 'an Ed25519 key for a P-256 device', algorithm: 'ECDSA-P256', der: edDer, expect: 'ALGORITHM_MISMATCH' },
      { what: 'an X25519 key', algorithm: 'Ed25519', der: spkiOf(generateKeyPairSync('x25519').publicKey), expect: 'ALGORITHM_MISMATCH' },
      { what: 'an X448 key', algorithm: 'Ed25519', der: spkiOf(generateKeyPairSync('x448').publicKey), expect: 'ALGORITHM_MISMATCH' },
      { what: 'an Ed448 key', algorithm: 'Ed25519', der: spkiOf(generateKeyPairSync('ed448').publicKey), expect: 'ALGORITHM_MISMATCH' },
      ...(['prime192v1', 'secp224r1', 'P-384', 'secp521r1', 'secp256k1', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1'] as const).map((curve) => ({ what: `a ${curve} key`, algorithm: 'ECDSA-P256' as const, der: spkiOf(generateKeyPairSync('ec', { namedCurve: curve }).publicKey), expect: 'ALGORITHM_MISMATCH' as const })),
      // One byte of P-256's curve OID changed names P-192, whose points are 49 bytes: OpenSSL cannot decode this one
      // (TEST_SEED=177933975 found it).
      { what: 'a P-256 point under the curve OID of P-192', algorithm: 'ECDSA-P256', der: Buffer.concat([ecDer.subarray(0, 22), Buffer.of(0x01), ecDer.subarray(23)]), expect: 'PUBLIC_KEY_MALFORMED' },
      { what: 'an RSA key', algorithm: 'ECDSA-P256', der: spkiOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey), expect: 'ALGORITHM_MISMATCH' },
    ];

    for (const { what, algorithm, der, expect: expected } of cases) {
      it(`${expected === 'OK' ? 'takes' : 'refuses'} ${what} as OpenSSL did (${expected})`, () => {
        expect(opensslKey(algorithm, der).outcome, 'node:crypto').to.equal(expected);
        expect(coreKey(algorithm, der), 'the core').to.deep.equal(opensslKey(algorithm, der));
      });
    }

    it('refuses the point at infinity as a P-256 key (reading it aborts node 20 in asymmetricKeyDetails)', () => {
      expect(coreKey('ECDSA-P256', p256Spki(Buffer.of(0)))).to.deep.equal({ outcome: 'PUBLIC_KEY_MALFORMED' });
    });

    // Every value of every byte, so every bit flip too: about 35,000 keys, each judged by node:crypto and the core.
    it('judges an Ed25519 and a P-256 key after every single-byte change as OpenSSL does', () => {
      const seen = new Set<Outcome>();
      for (const [algorithm, der] of [['Ed25519', edDer], ['ECDSA-P256', ecDer]] as const) {
        for (let index = 0; index < der.length; index++) {
          for (let value = 0; value < 256; value++) {
            if (value === der[index]) continue;
            const changed = Buffer.from(der);
            changed[index] = value;
            const openssl = opensslKey(algorithm, changed);
            expect(coreKey(algorithm, changed), `${algorithm} ${changed.toString('hex')}`).to.deep.equal(openssl);
            seen.add(openssl.outcome);
          }
        }
      }
      // Changes inside an Ed25519 key leave a key that both take, and a changed OID a key of another type.
      expect([...seen]).to.have.members(['OK', 'PUBLIC_KEY_MALFORMED', 'ALGORITHM_MISMATCH']);
    });
  });

  describe('device signatures', () => {
    const envelope: DeviceEnvelope = { deviceId: 'dev-1', seq: 7, ts: '2026-01-15T08:07:00Z', readings: [{ metric: 'temperature', value: 4.5 }], attachments: [] };
    const data = jcsBytes(envelope);
    const devices = {
      Ed25519: { algorithm: 'Ed25519' as const, publicKey: pemOf(edDer), privateKey: ed.privateKey, key: ed.publicKey },
      'ECDSA-P256': { algorithm: 'ECDSA-P256' as const, publicKey: pemOf(ecDer), privateKey: ec.privateKey, key: ec.publicKey },
    };

    /** The signature check as it was with node:crypto: the same shape checks, then OpenSSL's verify. */
    function openssl(algorithm: DeviceAlgorithm, signature: Buffer): Outcome {
      const shaped = algorithm === 'Ed25519' ? signature.length === 64 : signature.length >= 8 && signature.length <= 72 && signature[0] === 0x30 && signature[1] === signature.length - 2;
      if (!shaped) return 'SIGNATURE_MALFORMED';
      const key = devices[algorithm].key;
      const valid = algorithm === 'Ed25519' ? verify(null, data, key, signature) : verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
      return valid ? 'OK' : 'SIGNATURE_MISMATCH';
    }

    async function core(algorithm: DeviceAlgorithm, signature: Buffer): Promise<Outcome> {
      const result = await checkEnvelopeSignature(devices[algorithm], envelope, signature.toString('base64'));
      return result.ok ? 'OK' : result.reason;
    }

    // Signatures are randomised: take one whose r and s are 32 bytes each with the high bit clear (70 bytes in all),
    // so that each variant below is as long as its name says.
    let derSignature = sign('sha256', data, { key: ec.privateKey, dsaEncoding: 'der' });
    while (derSignature.length !== 70) derSignature = sign('sha256', data, { key: ec.privateKey, dsaEncoding: 'der' });
    const [r, s] = ((der) => {
      const rLength = der[3] ?? 0;
      return [der.subarray(4, 4 + rLength), der.subarray(6 + rLength)];
    })(derSignature);
    const integer = (bytes: Uint8Array): Buffer => Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
    const sequence = (...parts: Buffer[]): Buffer => ((body) => Buffer.concat([Buffer.from([0x30, body.length]), body]))(Buffer.concat(parts));
    const unsigned = (value: bigint): Buffer => {
      const bytes = Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
      return (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : Buffer.from(bytes.subarray(bytes.findIndex((byte) => byte !== 0)));
    };
    const sValue = BigInt(`0x${Buffer.from(s).toString('hex')}`);
    const rValue = BigInt(`0x${Buffer.from(r).toString('hex')}`);

    const derCases: { what: string; signature: Buffer; expect: Outcome }[] = [
      { what: 'the signature', signature: derSignature, expect: 'OK' },
      { what: 'its high-s twin (n - s), which OpenSSL takes', signature: sequence(integer(r), integer(unsigned(P256_ORDER - sValue))), expect: 'OK' },
      { what: 'r negative', signature: sequence(integer(Buffer.concat([Buffer.of(0xff), r.subarray(1)])), integer(s)), expect: 'SIGNATURE_MISMATCH' },
      { what: 'r = 0', signature: sequence(integer(Buffer.of(0)), integer(s)), expect: 'SIGNATURE_MISMATCH' },
      { what: 'r = n', signature: sequence(integer(unsigned(P256_ORDER)), integer(s)), expect: 'SIGNATURE_MISMATCH' },
      { what: 'r + n', signature: sequence(integer(unsigned(rValue + P256_ORDER)), integer(s)), expect: 'SIGNATURE_MISMATCH' },
      { what: 'an extra NULL in the SEQUENCE', signature: sequence(integer(r), integer(s), Buffer.from([0x05, 0])), expect: 'SIGNATURE_MISMATCH' },
      { what: 'an empty r', signature: sequence(Buffer.from([0x02, 0]), integer(s)), expect: 'SIGNATURE_MISMATCH' },
      { what: 'r tagged as a BIT STRING', signature: sequence(Buffer.concat([Buffer.from([0x03, r.length]), r]), integer(s)), expect: 'SIGNATURE_MISMATCH' },
      { what: 'a long-form length for r', signature: sequence(Buffer.concat([Buffer.from([0x02, 0x81, r.length]), r]), integer(s)), expect: 'SIGNATURE_MISMATCH' },
      { what: 'a zero-padded s', signature: sequence(integer(r), integer(Buffer.concat([Buffer.of(0), s]))), expect: 'SIGNATURE_MISMATCH' },
      { what: 'a zero-padded r, 73 bytes in all', signature: sequence(integer(Buffer.concat([Buffer.of(0, 0, 0), r])), integer(s)), expect: 'SIGNATURE_MALFORMED' },
      { what: 'r and s swapped', signature: sequence(integer(s), integer(r)), expect: 'SIGNATURE_MISMATCH' },
    ];

    for (const { what, signature, expect: expected } of derCases) {
      it(`ECDSA P-256: ${what} is ${expected}, as with OpenSSL`, async () => {
        expect(openssl('ECDSA-P256', signature), 'node:crypto').to.equal(expected);
        expect(await core('ECDSA-P256', signature), 'the core').to.equal(expected);
      });
    }

    it('Ed25519: the signature is OK, as with OpenSSL', async () => {
      const signature = sign(null, data, ed.privateKey);
      expect(openssl('Ed25519', signature)).to.equal('OK');
      expect(await core('Ed25519', signature)).to.equal('OK');
    });

    const seed = testSeed();
    it(`agrees with OpenSSL on random single-bit and single-byte changes of both kinds of signature (${replayHint(seed)})`, async () => {
      const random: Prng = prng(seed);
      const signatures = { Ed25519: sign(null, data, ed.privateKey), 'ECDSA-P256': derSignature };
      const seen = new Set<Outcome>();
      for (let round = 0; round < 600; round++) {
        const algorithm: DeviceAlgorithm = round % 2 === 0 ? 'Ed25519' : 'ECDSA-P256';
        const original = signatures[algorithm];
        const changed = round % 3 === 0 ? flipBit(original, random.int(original.length * 8)) : Buffer.from(original);
        if (round % 3 !== 0) changed[random.int(changed.length)] = random.int(256);
        const expected = openssl(algorithm, changed);
        expect(await core(algorithm, changed), `${algorithm} ${changed.toString('hex')}, seed ${seed}`).to.equal(expected);
        seen.add(expected);
      }
      expect([...seen].sort()).to.include.members(['SIGNATURE_MALFORMED', 'SIGNATURE_MISMATCH']);
    });
  });
});
