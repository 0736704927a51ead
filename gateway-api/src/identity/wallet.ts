import { createPrivateKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Identity } from '../ledger/port.js';

const idPattern = /^[a-z0-9][a-z0-9._@-]{0,127}$/i;

/**
 * The gateway's wallet: the certificate and private key of each identity it signs ledger transactions for, one
 * folder per identity (like a Fabric SDK file-system wallet). Keys never go into the database.
 */
export interface Wallet {
  put(id: string, identity: Identity): Promise<void>;
  /** The identity, or undefined when the wallet has none under that id. */
  get(id: string): Promise<Identity | undefined>;
}

export function fileWallet(dir: string): Wallet {
  const cache = new Map<string, Identity>();
  const folder = (id: string): string => {
    if (!idPattern.test(id)) throw new Error(`invalid identity id: ${id}`);
    return join(dir, id);
  };
  return {
    async put(id, identity) {
      const path = folder(id);
      await mkdir(path, { recursive: true, mode: 0o700 });
      const key = identity.privateKey.export({ format: 'pem', type: 'pkcs8' });
      await writeFile(join(path, 'key.pem'), key, { mode: 0o600 });
      await writeFile(join(path, 'cert.pem'), identity.certificate, { mode: 0o644 });
      await writeFile(join(path, 'msp-id'), identity.mspId, { mode: 0o644 });
      cache.set(id, identity);
    },
    async get(id) {
      const cached = cache.get(id);
      if (cached) return cached;
      const path = folder(id);
      let files: string[];
      try {
        files = await Promise.all(['msp-id', 'cert.pem', 'key.pem'].map((name) => readFile(join(path, name), 'utf8')));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      const [mspId = '', certificate = '', key = ''] = files;
      const identity = { mspId: mspId.trim(), certificate, privateKey: createPrivateKey(key) };
      cache.set(id, identity);
      return identity;
    },
  };
}
