import { createHash, randomBytes } from 'node:crypto';

/**
 * The leaf hash of DESIGN.md section 6: SHA-256(0x00 || JCS(record)), as 0x-prefixed lowercase hex. The 0x00 prefix
 * is RFC 6962's leaf domain separator: no leaf can be mistaken for an interior node (prefix 0x01).
 */
export function leafHash(recordJcs: string): string {
  return `0x${createHash('sha256').update(Uint8Array.of(0)).update(recordJcs, 'utf8').digest('hex')}`;
}

/** SHA-256 of a text's UTF-8 bytes (raw). */
export function sha256Of(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A new evidence id, `ev_` and a ULID (48-bit millisecond time, 80 random bits, Crockford base32): unique without
 * coordination and roughly time-ordered. The order that counts is leaf_index, not the id.
 */
export function newEvidenceId(now: Date): string {
  let time = now.getTime();
  let text = '';
  for (let i = 0; i < 10; i++) {
    text = (crockford[time % 32] ?? '0') + text;
    time = Math.floor(time / 32);
  }
  let bits = BigInt(`0x${randomBytes(10).toString('hex')}`);
  let random = '';
  for (let i = 0; i < 16; i++) {
    random = (crockford[Number(bits & 31n)] ?? '0') + random;
    bits >>= 5n;
  }
  return `ev_${text}${random}`;
}
