import { randomBytes, createHash } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EvidenceError } from '../errors.js';

/** Documents' bytes, content-addressed: one file per SHA-256, written once and never changed. */
export interface ObjectStore {
  /**
   * Stores `content` if it is exactly `size` bytes whose SHA-256 is `sha256` (hex); CONTENT_SIZE_MISMATCH or
   * CONTENT_HASH_MISMATCH otherwise, and nothing is kept. Returns the object's path relative to the data folder.
   */
  put(sha256: string, size: number, content: AsyncIterable<Uint8Array>): Promise<string>;
  /** The path of a stored object (relative to the data folder), or undefined. */
  find(sha256: string): Promise<string | undefined>;
}

const hexSha256 = /^[0-9a-f]{64}$/;

/** The object store as files under `${dataDir}/objects/`. */
export function fileObjectStore(dataDir: string): ObjectStore {
  const folder = join(dataDir, 'objects');
  const relative = (sha256: string): string => `objects/${sha256}`;
  const checked = (sha256: string): string => {
    // The name becomes a path: only a hash may get there.
    if (!hexSha256.test(sha256)) throw new TypeError('object names are SHA-256 hashes in lowercase hex');
    return sha256;
  };

  return {
    async put(sha256, size, content) {
      checked(sha256);
      await mkdir(folder, { recursive: true, mode: 0o700 });
      // Written to a temporary name, flushed, then renamed: a crash leaves either no object or a complete one.
      const temporary = join(folder, `.incoming-${randomBytes(8).toString('hex')}`);
      const file = await open(temporary, 'wx', 0o600);
      let complete = false;
      try {
        const hash = createHash('sha256');
        let received = 0;
        for await (const chunk of content) {
          received += chunk.byteLength;
          if (received > size) throw new EvidenceError('CONTENT_SIZE_MISMATCH', `the content is longer than the registered ${size.toString()} bytes`);
          hash.update(chunk);
          await file.write(chunk);
        }
        if (received !== size) {
          throw new EvidenceError('CONTENT_SIZE_MISMATCH', `the content is ${received.toString()} bytes, not the registered ${size.toString()}`);
        }
        const actual = hash.digest('hex');
        if (actual !== sha256) throw new EvidenceError('CONTENT_HASH_MISMATCH', `the content's SHA-256 is 0x${actual}, not 0x${sha256}`);
        await file.sync();
        await file.close();
        // Renaming over an existing object is harmless: it has the same bytes.
        await rename(temporary, join(folder, sha256));
        await syncFolder(folder);
        complete = true;
        return relative(sha256);
      } finally {
        if (!complete) {
          await file.close().catch(() => undefined);
          await rm(temporary, { force: true });
        }
      }
    },

    async find(sha256) {
      try {
        await stat(join(folder, checked(sha256)));
        return relative(sha256);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}

/** Makes a rename in `folder` durable (the directory entry itself is flushed). */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
