import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { fromBase64 } from '../../src/hash.js';

/**
 * The RFC 6962 vectors (transparency-dev/merkle testdata, copied with their licence into `anchor/test/vectors/rfc6962`
 * so that the repository needs nothing beside it), three directories above this compiled file (anchor/dist/test/support).
 */
export const VECTORS_DIR = fileURLToPath(new URL('../../../test/vectors/rfc6962/', import.meta.url));

const base64 = z.string().transform((value) => fromBase64(value));

const inclusionProbeSchema = z.strictObject({
  leafIdx: z.number(),
  treeSize: z.number(),
  root: base64,
  leafHash: base64,
  proof: z.array(base64).nullable(),
  desc: z.string(),
  wantErr: z.boolean(),
});

/** One inclusion probe: `happy-path` must verify, every `wantErr` probe must be refused. */
export type InclusionProbe = z.infer<typeof inclusionProbeSchema> & { readonly file: string };

/** Every inclusion probe, read at test time; throws naming the directory if the vectors are missing. */
export function inclusionProbes(): InclusionProbe[] {
  const dir = join(VECTORS_DIR, 'inclusion');
  if (!existsSync(dir)) throw new Error(`RFC 6962 vectors not found at ${dir}: expected anchor/test/vectors/rfc6962 in the repository`);
  return jsonFiles(dir).map((file) => {
    const probe = inclusionProbeSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    return { ...probe, file: relative(dir, file) };
  });
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? jsonFiles(path) : name.endsWith('.json') ? [path] : [];
    });
}
