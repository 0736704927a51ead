// Writes openapi.json, the gateway's OpenAPI document, from which the build generates the typed API client
// (src/api/schema.d.ts). The gateway must be compiled first: the root `npm run build` runs tsc -b before this.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/src/cli/openapi.js', import.meta.url));
const document = execFileSync(process.execPath, [cli], { encoding: 'utf8' });
writeFileSync(new URL('../openapi.json', import.meta.url), document);
