import { hashLeaf, sha256, toHex } from '@wr/anchor';
import { randomBytes } from 'node:crypto';

/**
 * The leaf hash of docs/design.md section 6: SHA-256(0x00 || JCS(record)), as 0x-prefixed lowercase hex, through anchor's
 * RFC 6962 `hashLeaf` (the 0x00 prefix is the leaf domain separator: no leaf can pass for an interior node).
 */
export function leafHash(recordJcs: string): string {
  return toHex(hashLeaf(Buffer.from(recordJcs, 'utf8')));
}

/** SHA-256 of a text's UTF-8 bytes (raw). */
export function sha256Of(text: string): Buffer {
  return sha256(Buffer.from(text, 'utf8'));
}

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_BYTES = 10;

/**
 * `count` new evidence ids, `ev_` and a ULID each (48-bit millisecond time, 80 random bits, Crockford base32): unique
 * without coordination and roughly time-ordered. The order that counts is leaf_index, not the id. One call to the
 * random source serves the whole batch.
 */
export function newEvidenceIds(now: Date, count: number): string[] {
  let time = now.getTime();
  let timeText = '';
  for (let i = 0; i < 10; i++) {
    timeText = (crockford[time % 32] ?? '0') + timeText;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(RANDOM_BYTES * count);
  return Array.from({ length: count }, (_, n) => `ev_${timeText}${base32(random.subarray(n * RANDOM_BYTES, (n + 1) * RANDOM_BYTES))}`);
}

/** A new evidence id (see {@link newEvidenceIds}). */
export function newEvidenceId(now: Date): string {
  return newEvidenceIds(now, 1)[0] ?? '';
}

/** Crockford base32 of bytes whose bit length is a multiple of 5, most significant bits first. */
function base32(bytes: Uint8Array): string {
  let text = '';
  let buffered = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffered = ((buffered << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += crockford[(buffered >> bits) & 31] ?? '0';
    }
  }
  return text;
}
