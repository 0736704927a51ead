// Child process of entry-points.test.ts: imports the modules named on the command line and prints, as JSON, every
// module that was loaded: ES modules as the resolve hook saw them, CommonJS ones from require's cache (require()
// calls do not pass through the ES module hooks).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'wr-loaded-'));
const log = join(dir, 'resolved.log');
writeFileSync(log, '');
register(new URL('./module-recorder-hooks.js', import.meta.url), { data: { log } });
try {
  for (const specifier of process.argv.slice(2)) await import(specifier);
  const esm = readFileSync(log, 'utf8').split('\n').filter((line) => line !== '');
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  process.stdout.write(JSON.stringify({ esm, cjs }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
