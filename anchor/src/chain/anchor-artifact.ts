import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const hexBytes = z.string().regex(/^0x(?:[0-9a-f]{2})*$/, 'expected 0x-prefixed lowercase hex bytes');

/** Shape of `artifacts/Anchor.json`, written by `npm run compile:contract` and committed. */
export const anchorArtifactSchema = z.strictObject({
  contractName: z.literal('Anchor'),
  sourceName: z.literal('contracts/Anchor.sol'),
  sourceSha256: z.string().regex(/^0x[0-9a-f]{64}$/),
  compiler: z.strictObject({ name: z.literal('solc'), version: z.string().min(1) }),
  settings: z.record(z.string(), z.unknown()),
  abi: z.array(z.record(z.string(), z.unknown())),
  bytecode: hexBytes.min(4),
  deployedBytecode: hexBytes.min(4),
});

/** The compiled Anchor contract as committed in `artifacts/Anchor.json`. */
export type AnchorArtifact = z.infer<typeof anchorArtifactSchema>;

/** Absolute path of a file in the `@wr/anchor` package (this module runs from `dist/src/chain/`). */
export function anchorPackagePath(relative: string): string {
  return fileURLToPath(new URL(`../../../${relative}`, import.meta.url));
}

/** Where the committed artifact lives, relative to the package. */
export const ANCHOR_ARTIFACT_PATH = 'artifacts/Anchor.json';

let cached: AnchorArtifact | undefined;

/** Reads and validates the committed Anchor artifact (once per process). */
export function loadAnchorArtifact(): AnchorArtifact {
  cached ??= anchorArtifactSchema.parse(JSON.parse(readFileSync(anchorPackagePath(ANCHOR_ARTIFACT_PATH), 'utf8')));
  return cached;
}
