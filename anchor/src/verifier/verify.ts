import { z } from 'zod';
import { RpcError, checkAnchor, rpcSend, type JsonRpcSender } from './anchor-check.js';
import { httpJsonRpcProvider, type Eip1193Provider } from './json-rpc.js';
import { BUNDLE_FORMAT, bundleSections, evidenceBundleSchema, leafHashOfRecord } from './bundle.js';
import { ZERO_HASH, checkpointHash } from './checkpoint.js';
import { checkEnvelopeSignature } from './device-signature.js';
import { fromHex, toHex } from './hash.js';
import { ProofLengthError, RootMismatchError, verifyInclusion } from './rfc6962.js';
import { describeIssues, jsonObjectSchema } from './schemas.js';

/** The checks, in the order they are reported: each verifies one link from the record to the chain. */
export const checkNames = ['format', 'device-signature', 'leaf-hash', 'inclusion-proof', 'checkpoint-hash', 'anchor'] as const;
export type CheckName = (typeof checkNames)[number];

/** VALID: the link holds. INVALID: it does not. ERROR: it could not be checked. SKIPPED: not checked, as `reason` says. */
export type CheckStatus = 'VALID' | 'INVALID' | 'ERROR' | 'SKIPPED';

/** Reason codes of checks. Append-only: courts and banks map these codes, so none is ever renamed or removed. */
export const reasonCodes = [
  'OK',
  'NOT_APPLICABLE',
  'INPUT_MALFORMED',
  'INTERNAL_ERROR',
  'NOT_JSON',
  'UNSUPPORTED_FORMAT',
  'SCHEMA_MISMATCH',
  'DEVICE_MISSING',
  'DEVICE_MISMATCH',
  'PUBLIC_KEY_MALFORMED',
  'ALGORITHM_MISMATCH',
  'SIGNATURE_MALFORMED',
  'SIGNATURE_MISMATCH',
  'LEAF_HASH_MISMATCH',
  'TREE_SIZE_MISMATCH',
  'INDEX_OUT_OF_RANGE',
  'PROOF_LENGTH_MISMATCH',
  'ROOT_MISMATCH',
  'CHECKPOINT_HASH_MISMATCH',
  'GENESIS_MISMATCH',
  'RPC_NOT_GIVEN',
  'RPC_URL_INVALID',
  'RPC_UNAVAILABLE',
  'RPC_ERROR',
  'RPC_RESPONSE_MALFORMED',
  'CHAIN_ID_MISMATCH',
  'TX_NOT_FOUND',
  'TX_FAILED',
  'BLOCK_NUMBER_MISMATCH',
  'BLOCK_HASH_MISMATCH',
  'BLOCK_TIMESTAMP_MISMATCH',
  'EVENT_NOT_FOUND',
  'EVENT_MISMATCH',
] as const;
export type ReasonCode = (typeof reasonCodes)[number];

/** One verified link. `required` checks must all be VALID for the bundle to hold. */
export interface Check {
  readonly name: CheckName;
  readonly status: CheckStatus;
  readonly reason: ReasonCode;
  readonly required: boolean;
  readonly detail: string;
  /** For the checks that compare two values, the one this verifier computed and the one the bundle claims (hex). */
  readonly computed?: string;
  readonly claimed?: string;
}

/** `ok` is true iff every required check is VALID. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly checks: readonly Check[];
}

/** Where the anchor check reads the chain; without either, it is SKIPPED (RPC_NOT_GIVEN) and not required. */
export interface VerifyOptions {
  /** An HTTP(S) JSON-RPC endpoint of any node of the bundle's chain. */
  readonly rpcUrl?: string;
  /** An EIP-1193 provider or an ethers JSON-RPC provider (JsonRpcProvider, BrowserProvider); wins over rpcUrl. */
  readonly provider?: Eip1193Provider | JsonRpcSender;
  /** Bound on each RPC call, default 10 s. */
  readonly timeoutMs?: number;
}

type Outcome = Pick<Check, 'status' | 'reason' | 'detail' | 'computed' | 'claimed'>;
type Compared = Pick<Check, 'computed' | 'claimed'>;
const valid = (detail: string, compared: Compared = {}): Outcome => ({ status: 'VALID', reason: 'OK', detail, ...compared });
const invalid = (reason: ReasonCode, detail: string, compared: Compared = {}): Outcome => ({ status: 'INVALID', reason, detail, ...compared });

// Each check parses only the sections it reads, so that a malformed section spoils only the checks that need it.
const signatureInput = z.object({ evidence: bundleSections.evidence, device: bundleSections.device });
const leafInput = z.object({ evidence: z.object({ record: jsonObjectSchema }), leaf: bundleSections.leaf });
const inclusionInput = z.object({ leaf: bundleSections.leaf, proof: bundleSections.proof, checkpoint: bundleSections.checkpoint });
const checkpointInput = z.object({ checkpoint: bundleSections.checkpoint });
const anchorInput = z.object({ checkpoint: bundleSections.checkpoint, anchor: bundleSections.anchor });

/**
 * Verifies a `wr-evidence-bundle/1` document: format, device signature, leaf hash, inclusion proof, checkpoint hash
 * and, given an RPC endpoint, the anchor on chain. Never throws; every problem becomes a check.
 */
export async function verifyBundle(input: unknown, options: VerifyOptions = {}): Promise<VerifyResult> {
  const chain = options.provider !== undefined || options.rpcUrl !== undefined;
  const checks = [
    run('format', () => true, () => checkFormat(input)),
    await runAsync('device-signature', () => signatureRequired(input), () => checkSignature(input)),
    run('leaf-hash', () => true, () => checkLeafHash(input)),
    run('inclusion-proof', () => true, () => checkInclusion(input)),
    run('checkpoint-hash', () => true, () => checkCheckpointHash(input)),
    await runAsync('anchor', () => chain, () => checkChain(input, options)),
  ];
  return { ok: checks.every((check) => !check.required || check.status === 'VALID'), checks };
}

/** Like verifyBundle, from JSON text or its UTF-8 bytes: anything else fails the format check with NOT_JSON. */
export async function verifyBundleJson(text: string | Uint8Array, options: VerifyOptions = {}): Promise<VerifyResult> {
  let input: unknown;
  try {
    // fatal: invalid UTF-8 must not turn into U+FFFD and change the record's hash.
    input = JSON.parse(typeof text === 'string' ? text : new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (error) {
    const detail = `the bundle is not JSON: ${messageOf(error)}`;
    const chain = options.provider !== undefined || options.rpcUrl !== undefined;
    const checks: Check[] = checkNames.map((name) =>
      name === 'format'
        ? { name, status: 'INVALID', reason: 'NOT_JSON', required: true, detail }
        : { name, status: 'ERROR', reason: 'INPUT_MALFORMED', required: name !== 'anchor' || chain, detail: 'the bundle is not JSON' },
    );
    return { ok: false, checks };
  }
  return verifyBundle(input, options);
}

function run(name: CheckName, required: () => boolean, check: () => Outcome): Check {
  let isRequired = true;
  try {
    isRequired = required();
    return { name, required: isRequired, ...check() };
  } catch (error) {
    return { name, required: isRequired, ...unexpected(error) };
  }
}

async function runAsync(name: CheckName, required: () => boolean, check: () => Promise<Outcome>): Promise<Check> {
  let isRequired = true;
  try {
    isRequired = required();
    return { name, required: isRequired, ...(await check()) };
  } catch (error) {
    return { name, required: isRequired, ...unexpected(error) };
  }
}

function unexpected(error: unknown): Outcome {
  if (error instanceof RpcError) return { status: 'ERROR', reason: error.code, detail: error.message };
  return { status: 'ERROR', reason: 'INTERNAL_ERROR', detail: `verifier fault: ${messageOf(error)}` };
}

/** The message of anything thrown; hostile input may throw objects whose own message or toString throws. */
function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'an error that cannot be described';
  }
}

function malformed(error: z.ZodError): Outcome {
  return { status: 'ERROR', reason: 'INPUT_MALFORMED', detail: `cannot check: ${describeIssues(error)}` };
}

function checkFormat(input: unknown): Outcome {
  const format = typeof input === 'object' && input !== null && 'format' in input ? input.format : undefined;
  if (typeof format === 'string' && format !== BUNDLE_FORMAT) {
    return invalid('UNSUPPORTED_FORMAT', `format is ${JSON.stringify(format.slice(0, 64))}, this verifier reads ${BUNDLE_FORMAT}`);
  }
  const parsed = evidenceBundleSchema.safeParse(input);
  // Said on every valid bundle, so that nobody takes these members for verified.
  const unverified = 'evidence.id, ledger and explanation are not covered by any hash';
  return parsed.success ? valid(`${BUNDLE_FORMAT}; ${unverified}`) : invalid('SCHEMA_MISMATCH', describeIssues(parsed.error));
}

function signatureRequired(input: unknown): boolean {
  const parsed = z.object({ evidence: bundleSections.evidence }).safeParse(input);
  // Unless the evidence is well formed and not a device reading, nobody can say that no signature is needed.
  return !parsed.success || parsed.data.evidence.kind === 'device-reading';
}

async function checkSignature(input: unknown): Promise<Outcome> {
  const parsed = signatureInput.safeParse(input);
  if (!parsed.success) return malformed(parsed.error);
  const { evidence, device } = parsed.data;
  if (evidence.kind !== 'device-reading') return { status: 'SKIPPED', reason: 'NOT_APPLICABLE', detail: `a ${evidence.kind} is not signed by a device` };
  if (device === null) return invalid('DEVICE_MISSING', 'a device reading needs the device and its public key');
  const { envelope, signature } = evidence.record;
  if (device.id !== envelope.deviceId) {
    return invalid('DEVICE_MISMATCH', `the envelope is from device ${JSON.stringify(envelope.deviceId)}, the bundle's device is ${JSON.stringify(device.id)}`);
  }
  const result = await checkEnvelopeSignature(device, envelope, signature);
  return result.ok ? valid(`${device.algorithm} signature of device ${device.id} over JCS(envelope), seq ${envelope.seq}`) : invalid(result.reason, result.detail);
}

function checkLeafHash(input: unknown): Outcome {
  const parsed = leafInput.safeParse(input);
  if (!parsed.success) return malformed(parsed.error);
  const computed = leafHashOfRecord(parsed.data.evidence.record);
  const compared = { computed, claimed: parsed.data.leaf.hash };
  if (computed !== parsed.data.leaf.hash) return invalid('LEAF_HASH_MISMATCH', `SHA-256(0x00 || JCS(record)) is ${computed}, leaf.hash is ${parsed.data.leaf.hash}`, compared);
  return valid(`SHA-256(0x00 || JCS(record)) = ${computed}`, compared);
}

function checkInclusion(input: unknown): Outcome {
  const parsed = inclusionInput.safeParse(input);
  if (!parsed.success) return malformed(parsed.error);
  const { leaf, proof, checkpoint } = parsed.data;
  if (proof.treeSize !== checkpoint.leafCount) return invalid('TREE_SIZE_MISMATCH', `proof.treeSize is ${proof.treeSize}, checkpoint.leafCount is ${checkpoint.leafCount}`);
  if (leaf.index >= proof.treeSize) return invalid('INDEX_OUT_OF_RANGE', `leaf.index ${leaf.index} is not below the tree size ${proof.treeSize}`);
  try {
    verifyInclusion(leaf.index, proof.treeSize, fromHex(leaf.hash), proof.path.map((hash) => fromHex(hash)), fromHex(checkpoint.root));
  } catch (error) {
    if (error instanceof ProofLengthError) return invalid('PROOF_LENGTH_MISMATCH', error.message);
    if (error instanceof RootMismatchError) {
      const computed = toHex(error.calculatedRoot);
      return invalid('ROOT_MISMATCH', `the path leads to ${computed}, checkpoint.root is ${checkpoint.root}`, { computed, claimed: checkpoint.root });
    }
    throw error;
  }
  // verifyInclusion returns only when the path leads to the claimed root.
  return valid(`leaf ${leaf.index} of ${proof.treeSize}, ${proof.path.length} path hash(es), root ${checkpoint.root}`, { computed: checkpoint.root, claimed: checkpoint.root });
}

function checkCheckpointHash(input: unknown): Outcome {
  const parsed = checkpointInput.safeParse(input);
  if (!parsed.success) return malformed(parsed.error);
  const { checkpoint } = parsed.data;
  const computed = checkpointHash(checkpoint);
  const compared = { computed, claimed: checkpoint.hash };
  if (computed !== checkpoint.hash) return invalid('CHECKPOINT_HASH_MISMATCH', `SHA-256(JCS(checkpoint without hash)) is ${computed}, checkpoint.hash is ${checkpoint.hash}`, compared);
  if (checkpoint.seq === 0 && (checkpoint.prevHash !== ZERO_HASH || checkpoint.firstLeafIndex !== 0)) {
    return invalid('GENESIS_MISMATCH', 'checkpoint 0 must have prevHash 0x00…00 (32 zero bytes) and firstLeafIndex 0');
  }
  return valid(`checkpoint ${checkpoint.seq} hashes to ${computed}`, compared);
}

async function checkChain(input: unknown, options: VerifyOptions): Promise<Outcome> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let provider = options.provider;
  if (provider === undefined) {
    if (options.rpcUrl === undefined) return { status: 'SKIPPED', reason: 'RPC_NOT_GIVEN', detail: 'no RPC endpoint given: the anchor on chain was not checked' };
    if (!isHttpUrl(options.rpcUrl)) return { status: 'ERROR', reason: 'RPC_URL_INVALID', detail: 'the RPC endpoint must be an http or https URL' };
    provider = httpJsonRpcProvider(options.rpcUrl, { timeoutMs });
  }
  const send = rpcSend(provider, timeoutMs);
  const parsed = anchorInput.safeParse(input);
  if (!parsed.success) return malformed(parsed.error);
  const result = await checkAnchor(send, parsed.data.checkpoint, parsed.data.anchor);
  return result.ok ? valid(result.detail) : invalid(result.reason, result.detail);
}

/** True if `value` parses as an http: or https: URL. */
export function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
}
