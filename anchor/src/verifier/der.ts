/**
 * Just enough DER (X.690) for device keys and signatures: SubjectPublicKeyInfo (RFC 5280 §4.1.2.7; RFC 8410 for
 * Ed25519, RFC 5480 for EC) and the ECDSA-Sig-Value SEQUENCE { INTEGER r, INTEGER s } (RFC 3279 §2.2.3). Written
 * here so that the verifier needs no node:crypto, and strict in the same places as OpenSSL, which decided what the
 * verifier accepted before: see the tests that compare both.
 */
import { equalBytes } from './hash.js';

/** One tag-length-value element: `content` is a view into the input, `end` the offset just after it. */
interface Element {
  readonly tag: number;
  readonly content: Uint8Array;
  readonly end: number;
}

/** Reads the element at `offset`, or undefined if none is there (multi-byte tag, indefinite or overlong length). */
function readElement(bytes: Uint8Array, offset: number): Element | undefined {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined;
  let length = first;
  let start = offset + 2;
  if (first >= 0x80) {
    // Long form, up to 4 length bytes (no key or signature here comes near 2^32 bytes); 0x80 alone is indefinite.
    const count = first & 0x7f;
    if (count === 0 || count > 4) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[start + i];
      if (byte === undefined) return undefined;
      length = length * 256 + byte;
    }
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) return undefined;
  return { tag, content: bytes.subarray(start, end), end };
}

/** The DER encoding of an element: tag, minimal length, content. */
function encodeElement(tag: number, content: Uint8Array): Uint8Array {
  const lengthBytes: number[] = [];
  for (let length = content.length; length > 0; length = Math.floor(length / 256)) lengthBytes.unshift(length % 256);
  const header = content.length < 0x80 ? [tag, content.length] : [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  const out = new Uint8Array(header.length + content.length);
  out.set(header);
  out.set(content, header.length);
  return out;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OBJECT_IDENTIFIER = 0x06;

/** The dotted form of an OBJECT IDENTIFIER's content, or undefined if it is not minimally encoded. */
function objectIdentifier(content: Uint8Array): string | undefined {
  const arcs: number[] = [];
  let value = 0;
  let fresh = true;
  for (const byte of content) {
    // A sub-identifier may not start with 0x80: that would be a padded spelling of a smaller number.
    if (fresh && byte === 0x80) return undefined;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) return undefined;
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      arcs.push(value);
      value = 0;
    }
  }
  const [head] = arcs;
  if (head === undefined || !fresh) return undefined;
  const top = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [top, head - 40 * top, ...arcs.slice(1)].join('.');
}

const ID_ED25519 = '1.3.101.112';
const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const PRIME256V1 = '1.2.840.10045.3.1.7';

/**
 * Named curves of EC keys that are not P-256 but in common use (NIST P-192, P-224, P-384, P-521, secp256k1,
 * brainpool r1), with the byte length of each one's field elements: such a key is another algorithm than the
 * device's. Any other curve OID, like a corrupted P-256 one, is a malformed key, as it is to OpenSSL, which knows no
 * such curve or finds the point is not on it.
 */
const OTHER_NAMED_CURVES: ReadonlyMap<string, number> = new Map([
  ['1.2.840.10045.3.1.1', 24],
  ['1.3.132.0.33', 28],
  ['1.3.132.0.34', 48],
  ['1.3.132.0.35', 66],
  ['1.3.132.0.10', 32],
  ['1.3.36.3.3.2.8.1.1.7', 32],
  ['1.3.36.3.3.2.8.1.1.11', 48],
  ['1.3.36.3.3.2.8.1.1.13', 64],
]);

/**
 * Whether `point` is spelled as a SEC1 point of a curve whose field elements are `size` bytes: uncompressed (0x04,
 * x, y) or compressed (0x02 or 0x03, x). OpenSSL decodes the point of a key on a curve it knows, so a point of the
 * wrong size (a P-256 point under a corrupted curve OID that names P-192) makes the key malformed, not a key of
 * another curve. Whether the point lies on that other curve is not asked: the key is refused either way.
 */
function sec1Sized(point: Uint8Array, size: number): boolean {
  const [form] = point;
  return (form === 0x04 && point.length === 1 + 2 * size) || ((form === 0x02 || form === 0x03) && point.length === 1 + size);
}

/**
 * Key types a SubjectPublicKeyInfo may name that are none of ours, by node:crypto's name for them
 * (asymmetricKeyType), with the key length of those that have one fixed length and take no parameters. The others'
 * keys are not looked into: whatever they hold, they are not a device's key.
 */
const OTHER_KEY_TYPES: ReadonlyMap<string, { readonly name: string; readonly length?: number }> = new Map([
  ['1.3.101.110', { name: 'x25519', length: 32 }],
  ['1.3.101.111', { name: 'x448', length: 56 }],
  ['1.3.101.113', { name: 'ed448', length: 57 }],
  ['1.2.840.113549.1.1.1', { name: 'rsa' }],
  ['1.2.840.113549.1.1.10', { name: 'rsa-pss' }],
  ['1.2.840.10040.4.1', { name: 'dsa' }],
  ['1.2.840.113549.1.3.1', { name: 'dh' }],
]);

/**
 * The key a SubjectPublicKeyInfo carries: an Ed25519 key (32 bytes), an EC key with its named curve's OID and its
 * SEC1 point as encoded, or another type by node:crypto's name for it.
 */
export type SpkiKey =
  | { readonly type: 'ed25519'; readonly key: Uint8Array }
  | { readonly type: 'ec'; readonly curve: string; readonly point: Uint8Array }
  | { readonly type: 'other'; readonly name: string };

/** A parsed SubjectPublicKeyInfo; `canonical` is false when the bytes are not the DER encoding of what they say. */
export interface Spki {
  readonly key: SpkiKey;
  readonly canonical: boolean;
}

/**
 * Parses a SubjectPublicKeyInfo, or undefined if `der` is not one (a private key, a certificate, garbage). Like
 * OpenSSL, it reads the structure first and leaves the encoding to `canonical`: long-form lengths, trailing bytes
 * and unused bits are read, and flagged. Ed25519 takes no parameters (RFC 8410 §3); an EC key names its curve.
 */
export function parseSpki(der: Uint8Array): Spki | undefined {
  const outer = readElement(der, 0);
  if (outer?.tag !== SEQUENCE) return undefined;
  const algorithm = readElement(outer.content, 0);
  if (algorithm?.tag !== SEQUENCE) return undefined;
  const bits = readElement(outer.content, algorithm.end);
  if (bits?.tag !== BIT_STRING || bits.end !== outer.content.length) return undefined;
  const oidElement = readElement(algorithm.content, 0);
  if (oidElement?.tag !== OBJECT_IDENTIFIER) return undefined;
  const oid = objectIdentifier(oidElement.content);
  const hasParameters = oidElement.end !== algorithm.content.length;
  const parameters = hasParameters ? readElement(algorithm.content, oidElement.end) : undefined;
  if (oid === undefined || (hasParameters && parameters?.end !== algorithm.content.length)) return undefined;
  const [unusedBits] = bits.content;
  if (unusedBits === undefined || unusedBits > 7) return undefined;
  const keyBytes = bits.content.subarray(1);

  let key: SpkiKey;
  if (oid === ID_ED25519) {
    if (parameters !== undefined || keyBytes.length !== 32) return undefined;
    key = { type: 'ed25519', key: keyBytes };
  } else if (oid === ID_EC_PUBLIC_KEY) {
    // Only named curves (RFC 5480 §2.1.1): explicit parameters are as good as unknown here.
    const curve = parameters?.tag === OBJECT_IDENTIFIER ? objectIdentifier(parameters.content) : undefined;
    if (curve === undefined) return undefined;
    const otherSize = OTHER_NAMED_CURVES.get(curve);
    if (curve !== PRIME256V1 && (otherSize === undefined || !sec1Sized(keyBytes, otherSize))) return undefined;
    key = { type: 'ec', curve, point: keyBytes };
  } else {
    const other = OTHER_KEY_TYPES.get(oid);
    if (other === undefined) return undefined;
    if (other.length !== undefined && (parameters !== undefined || keyBytes.length !== other.length)) return undefined;
    key = { type: 'other', name: other.name };
  }

  // The DER of what was read, every length minimal and no unused bits: equal to the input only if it was canonical.
  const reencoded = encodeElement(
    SEQUENCE,
    concat(
      encodeElement(SEQUENCE, concat(encodeElement(OBJECT_IDENTIFIER, oidElement.content), parameters === undefined ? new Uint8Array(0) : encodeElement(parameters.tag, parameters.content))),
      encodeElement(BIT_STRING, concat(Uint8Array.of(0), keyBytes)),
    ),
  );
  return { key, canonical: equalBytes(reencoded, der) };
}

/** The curve OID of P-256 (prime256v1, secp256r1) in an EC key's parameters. */
export const P256_CURVE_OID = PRIME256V1;

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The (r, s) of a DER ECDSA-Sig-Value, or undefined unless `der` is exactly its DER encoding: one SEQUENCE, nothing
 * after it, two INTEGERs in minimal form, both positive. OpenSSL's ECDSA verification refuses the same (it
 * re-encodes the signature and compares), so one signature has one spelling.
 */
export function decodeEcdsaSignature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  const sequence = readElement(der, 0);
  if (sequence?.tag !== SEQUENCE || sequence.end !== der.length) return undefined;
  const r = readElement(sequence.content, 0);
  const s = r === undefined ? undefined : readElement(sequence.content, r.end);
  if (r === undefined || s === undefined || s.end !== sequence.content.length) return undefined;
  const [rValue, sValue] = [positiveInteger(r), positiveInteger(s)];
  if (rValue === undefined || sValue === undefined) return undefined;
  // Re-encoded minimally, the signature must be the input: this refuses long-form lengths where short ones fit.
  const reencoded = encodeElement(SEQUENCE, concat(encodeElement(INTEGER, r.content), encodeElement(INTEGER, s.content)));
  return equalBytes(reencoded, der) ? { r: rValue, s: sValue } : undefined;
}

/** The value of a minimally encoded, positive INTEGER element, or undefined. */
function positiveInteger(element: Element): bigint | undefined {
  const [first, second] = element.content;
  if (element.tag !== INTEGER || first === undefined) return undefined;
  // Negative (high bit set), or padded: a 0x00 that the next byte's high bit does not call for.
  if (first & 0x80 || (first === 0 && second !== undefined && (second & 0x80) === 0)) return undefined;
  let value = 0n;
  for (const byte of element.content) value = (value << 8n) | BigInt(byte);
  return value > 0n ? value : undefined;
}
