import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Who holds a data directory: the process that opened its embedded database and ledger. */
export interface DataDirLock {
  release(): Promise<void>;
}

/** The pid of a live process holding `dataDir`, if any (a lock left by a crashed process does not count). */
export async function lockHolder(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, 'gateway.lock'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; it still holds the directory.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * Takes the data directory for this process. PGlite and the embedded ledger are single-process stores: a second
 * process opening the same files would corrupt them, so it is refused with the holder's pid.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const holder = await lockHolder(dataDir);
  if (holder !== undefined) {
    throw new Error(`${dataDir} is in use by process ${holder} (a running gateway?); stop it or use another DATA_DIR`);
  }
  const path = join(dataDir, 'gateway.lock');
  const file = await open(path, 'w', 0o600);
  await file.writeFile(String(process.pid));
  await file.close();
  return { release: () => rm(path, { force: true }) };
}
