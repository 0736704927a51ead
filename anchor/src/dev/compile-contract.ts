import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { z } from 'zod';

import { type AnchorArtifact, anchorArtifactSchema, anchorPackagePath } from '../chain/anchor-artifact.js';

/** The Solidity source's path inside the package; it is also the source name solc embeds in the metadata. */
export const ANCHOR_SOURCE_NAME = 'contracts/Anchor.sol';

/** The solc version the artifact must be built with; the npm `solc` package carries exactly this compiler. */
export const SOLC_VERSION_PREFIX = '0.8.30+';

/**
 * Fixed compiler settings. `cancun` rather than `prague`: the bytecode then runs on every chain that has had
 * Cancun (most public EVM chains and L2s), and Hardhat's EDR runs it under its default hardfork too.
 */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'ipfs' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

const solcOutputSchema = z.object({
  errors: z
    .array(z.object({ severity: z.string(), formattedMessage: z.string() }))
    .optional(),
  contracts: z
    .record(
      z.string(),
      z.record(
        z.string(),
        z.object({
          abi: z.array(z.record(z.string(), z.unknown())),
          evm: z.object({
            bytecode: z.object({ object: z.string() }),
            deployedBytecode: z.object({ object: z.string() }),
          }),
        }),
      ),
    )
    .optional(),
});

interface SolcCompiler {
  compile(input: string): unknown;
  version(): unknown;
}

function isSolcCompiler(value: unknown): value is SolcCompiler {
  return (
    typeof value === 'object' &&
    value !== null &&
    'compile' in value &&
    typeof value.compile === 'function' &&
    'version' in value &&
    typeof value.version === 'function'
  );
}

function loadSolc(): SolcCompiler {
  // solc is CommonJS and typed as `any`; load it untyped and check what we use.
  const solc: unknown = createRequire(import.meta.url)('solc');
  if (!isSolcCompiler(solc)) throw new Error('the solc package does not expose compile() and version()');
  return solc;
}

/** Compiles the Anchor contract's source with the bundled solc and fixed settings, offline. */
export function compileAnchorContract(source: string): AnchorArtifact {
  const solc = loadSolc();
  const version = String(solc.version());
  if (!version.startsWith(SOLC_VERSION_PREFIX)) {
    throw new Error(`expected solc ${SOLC_VERSION_PREFIX}..., the solc package is ${version}`);
  }
  const input = { language: 'Solidity', sources: { [ANCHOR_SOURCE_NAME]: { content: source } }, settings: SOLC_SETTINGS };
  // No import callback: the contract imports nothing, and nothing may be fetched.
  const raw = solc.compile(JSON.stringify(input));
  if (typeof raw !== 'string') throw new Error('solc returned a non-string output');
  const output = solcOutputSchema.parse(JSON.parse(raw));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error' || e.severity === 'warning');
  if (errors.length > 0) {
    throw new Error(`solc reported problems:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const contract = output.contracts?.[ANCHOR_SOURCE_NAME]?.['Anchor'];
  if (contract === undefined) throw new Error(`solc produced no Anchor contract for ${ANCHOR_SOURCE_NAME}`);
  return anchorArtifactSchema.parse({
    contractName: 'Anchor',
    sourceName: ANCHOR_SOURCE_NAME,
    sourceSha256: `0x${createHash('sha256').update(source, 'utf8').digest('hex')}`,
    compiler: { name: 'solc', version },
    settings: SOLC_SETTINGS,
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
  });
}

/** The artifact file's exact text: two-space JSON and a final newline, so diffs stay readable. */
export function serializeArtifact(artifact: AnchorArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

/** Compiles `contracts/Anchor.sol` as it is in the package now and returns the artifact file's text. */
export async function compileAnchorSourceFile(): Promise<string> {
  const source = await readFile(anchorPackagePath(ANCHOR_SOURCE_NAME), 'utf8');
  return serializeArtifact(compileAnchorContract(source));
}
