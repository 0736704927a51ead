import { jcs } from '@wr/anchor/verifier';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { LedgerError } from '../errors.js';

const hex = z.string().regex(/^[0-9a-f]{64}$/);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const versionSchema = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

const transactionSchema = z
  .object({
    txId: hex,
    timestamp: z.iso.datetime(),
    creator: z.object({ mspId: z.string(), certificate: z.string() }).strict(),
    chaincode: z.string(),
    args: z.array(z.string()),
    /** The signed proposal's bytes; its signature is in the block metadata. */
    proposal: base64,
    rwset: z
      .object({
        reads: z.array(z.object({ key: z.string(), version: versionSchema.nullable() }).strict()),
        ranges: z.array(
          z
            .object({
              start: z.string(),
              end: z.string(),
              exhausted: z.boolean(),
              results: z.array(z.object({ key: z.string(), version: versionSchema }).strict()),
            })
            .strict(),
        ),
        writes: z.array(z.object({ key: z.string(), value: base64.nullable() }).strict()),
        metadataWrites: z.array(z.object({ key: z.string(), name: z.string(), value: base64 }).strict()),
      })
      .strict(),
    response: z.object({ status: z.number().int(), message: z.string(), payload: base64 }).strict(),
    event: z.object({ name: z.string(), payload: base64 }).strict().nullable(),
  })
  .strict();

const configSchema = z
  .object({
    channelId: z.string(),
    chaincode: z.string(),
    orgs: z.array(z.object({ mspId: z.string(), rootCertificate: z.string() }).strict()),
  })
  .strict();

export const validationCodes = ['VALID', 'MVCC_READ_CONFLICT', 'PHANTOM_READ_CONFLICT'] as const;
export type ValidationCode = (typeof validationCodes)[number];

const blockSchema = z
  .object({
    header: z.object({ number: z.number().int().nonnegative(), previousHash: z.union([hex, z.literal('')]), dataHash: hex }).strict(),
    data: z.union([z.object({ config: configSchema }).strict(), z.object({ transactions: z.array(transactionSchema) }).strict()]),
    metadata: z.object({ validationCodes: z.array(z.enum(validationCodes)), signatures: z.array(base64) }).strict(),
  })
  .strict();

export type TransactionRecord = z.infer<typeof transactionSchema>;
export type ChannelConfig = z.infer<typeof configSchema>;
export type Block = z.infer<typeof blockSchema>;

/** SHA-256 over the RFC 8785 (JCS) text of each data entry, concatenated (Fabric hashes its envelopes' bytes so). */
export function dataHash(data: Block['data']): string {
  const hash = createHash('sha256');
  const entries: readonly unknown[] = 'config' in data ? [data.config] : data.transactions;
  for (const entry of entries) hash.update(jcs(entry));
  return hash.digest('hex');
}

/**
 * A block's hash as Fabric computes it: SHA-256 of the DER encoding of SEQUENCE { INTEGER number,
 * OCTET STRING previousHash, OCTET STRING dataHash }. Metadata (validation codes, signatures) is outside it.
 */
export function blockHash(header: Block['header']): string {
  const body = Buffer.concat([
    derInteger(header.number),
    derElement(0x04, Buffer.from(header.previousHash, 'hex')),
    derElement(0x04, Buffer.from(header.dataHash, 'hex')),
  ]);
  return createHash('sha256').update(derElement(0x30, body)).digest('hex');
}

function derInteger(value: number): Buffer {
  let hexValue = value.toString(16);
  if (hexValue.length % 2 === 1) hexValue = `0${hexValue}`;
  let bytes = Buffer.from(hexValue, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return derElement(0x02, bytes);
}

function derElement(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const lengthBytes =
    length < 0x80 ? Buffer.from([length]) : length < 0x100 ? Buffer.from([0x81, length]) : Buffer.from([0x82, length >> 8, length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), lengthBytes, content]);
}

/**
 * The block log: one JSON line per block, appended and fsynced before the block's transactions are acknowledged.
 * Opening it verifies every block's number, data hash and link to its predecessor; a torn last line (a crash while
 * appending a block nobody was told about) is cut off, any other damage refuses to open.
 */
export class BlockStore {
  private constructor(
    private readonly file: FileHandle,
    private lastHash: string,
    private nextNumber: number,
  ) {}

  static async open(path: string, onBlock: (block: Block) => void): Promise<BlockStore> {
    await mkdir(dirname(path), { recursive: true });
    const size = await stat(path).then((s) => s.size, () => 0);
    let lastHash = '';
    let nextNumber = 0;
    let goodBytes = 0;
    if (size > 0) {
      const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
      let offset = 0;
      for await (const line of lines) {
        const lineBytes = Buffer.byteLength(line) + 1;
        const complete = offset + lineBytes <= size;
        offset += lineBytes;
        let block: Block;
        try {
          block = blockSchema.parse(JSON.parse(line));
        } catch (cause) {
          if (!complete) break; // the torn tail of an interrupted append
          throw corrupt(path, nextNumber, 'cannot be parsed', cause);
        }
        if (block.header.number !== nextNumber) throw corrupt(path, nextNumber, `has number ${block.header.number}`);
        if (block.header.previousHash !== lastHash) throw corrupt(path, nextNumber, 'does not link to its predecessor');
        if (block.header.dataHash !== dataHash(block.data)) throw corrupt(path, nextNumber, 'does not match its data hash');
        const transactions = 'transactions' in block.data ? block.data.transactions.length : 0;
        if (block.metadata.validationCodes.length !== transactions || block.metadata.signatures.length !== transactions) {
          throw corrupt(path, nextNumber, 'has metadata for another number of transactions');
        }
        onBlock(block);
        lastHash = blockHash(block.header);
        nextNumber++;
        goodBytes = Math.min(offset, size);
      }
      if (goodBytes < size) await truncate(path, goodBytes);
    }
    const file = await open(path, 'a');
    return new BlockStore(file, lastHash, nextNumber);
  }

  get height(): number {
    return this.nextNumber;
  }

  get currentHash(): string {
    return this.lastHash;
  }

  /** Builds the next block's header over `data`. */
  header(data: Block['data']): Block['header'] {
    return { number: this.nextNumber, previousHash: this.lastHash, dataHash: dataHash(data) };
  }

  /** Appends a block made with `header()`, durably. */
  async append(block: Block): Promise<void> {
    if (block.header.number !== this.nextNumber || block.header.previousHash !== this.lastHash) {
      throw new Error(`block ${block.header.number} does not follow block ${this.nextNumber - 1}`);
    }
    await this.file.write(`${JSON.stringify(block)}\n`);
    await this.file.datasync();
    this.lastHash = blockHash(block.header);
    this.nextNumber++;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

function corrupt(path: string, number: number, problem: string, cause?: unknown): LedgerError {
  return new LedgerError(`block log ${path} is damaged: block ${number} ${problem}`, { code: 'LEDGER_UNAVAILABLE', cause });
}
