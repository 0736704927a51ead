import type { EvidenceBundle } from './bundle.js';
import { ANCHORED_EVENT_SIGNATURE, ANCHORED_EVENT_TOPIC } from './anchor-abi.js';
import { checkpointBody } from './checkpoint.js';
import { jcs } from './jcs.js';
import { auditPathSides } from './rfc6962.js';

const bare = (hex: string): string => hex.slice(2);

/** The bundle's `explanation`: how to check each step of this very bundle with standard tools, values filled in. */
export function explainBundle(bundle: Omit<EvidenceBundle, 'explanation'>): string {
  const { evidence, device, leaf, proof, checkpoint, anchor } = bundle;
  const lines = [
    'How to check this evidence bundle (wr-evidence-bundle/1) without trusting whoever issued it.',
    'SHA-256 throughout; hashes are 0x-prefixed lowercase hex (drop the 0x for sha256sum and xxd). JCS is RFC 8785',
    'JSON canonicalisation (`npx canonicalize < in.json > out.jcs`; Python `rfc8785`; Go `gowebpki/jcs`). All steps',
    `at once: npx wr-verify bundle.json --rpc <JSON-RPC URL of any node of chain ${anchor.chainId}>`,
    '',
    '1. Leaf hash. Save JCS(evidence.record) as record.jcs, with no trailing newline, then',
    "     (printf '\\000'; cat record.jcs) | sha256sum",
    `   must print ${bare(leaf.hash)} (leaf.hash).`,
    '',
    ...signatureStep(evidence.kind, device?.algorithm),
    '',
    `3. Inclusion proof (RFC 6962 §2.1.1; RFC 9162 §2.1.3.2): leaf ${leaf.index} of a tree of ${proof.treeSize} leaves`,
    '   (proof.treeSize, which must equal checkpoint.leafCount). Start with h = leaf.hash; each step hashes an interior',
    "   node SHA-256(0x01 || left || right): (printf '\\001'; printf '%s%s' LEFT RIGHT | xxd -r -p) | sha256sum",
    ...inclusionSteps(leaf.index, proof.treeSize, proof.path.length),
    `   The final h must equal checkpoint.root ${checkpoint.root}.`,
    '',
    '4. Checkpoint hash: SHA-256 of the JCS of the checkpoint without its "hash" member:',
    `     printf '%s' '${jcs(checkpointBody(checkpoint))}' | sha256sum`,
    `   must print ${bare(checkpoint.hash)} (checkpoint.hash). Checkpoint ${checkpoint.seq} chains to the previous one`,
    `   through prevHash${checkpoint.seq === 0 ? ', which for the first checkpoint (seq 0) is 32 zero bytes' : ' (that checkpoint\'s hash)'}.`,
    '',
    `5. Anchor: on EVM chain ${anchor.chainId}, transaction ${anchor.txHash} (eth_getTransactionReceipt,`,
    `   or any block explorer) must have status 1 and be in block ${anchor.blockNumber}, hash ${anchor.blockHash},`,
    `   whose timestamp is ${anchor.blockTimestamp} (${new Date(anchor.blockTimestamp * 1000).toISOString()}); it must carry a log emitted by`,
    `   contract ${anchor.contract} with`,
    `     topics[0] = ${ANCHORED_EVENT_TOPIC} = keccak256("${ANCHORED_EVENT_SIGNATURE}")`,
    `     topics[1] = checkpoint.root ${checkpoint.root}`,
    `     topics[2] = checkpoint.hash ${checkpoint.hash}`,
    `     data      = checkpoint.seq ${checkpoint.seq} as a 32-byte big-endian integer`,
    `   for example: curl -s -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["${anchor.txHash}"]}' <RPC URL>`,
  ];
  return lines.join('\n');
}

function signatureStep(kind: EvidenceBundle['evidence']['kind'], algorithm: string | undefined): string[] {
  if (kind !== 'device-reading') return [`2. Device signature: not applicable, a ${kind} is not signed by a device.`];
  return [
    '2. Device signature. Save JCS(evidence.record.envelope) as envelope.jcs, device.publicKey as device.pem, and',
    '   the signature: printf \'%s\' "<evidence.record.signature>" | base64 -d > sig.bin; then',
    algorithm === 'Ed25519'
      ? '     openssl pkeyutl -verify -pubin -inkey device.pem -rawin -in envelope.jcs -sigfile sig.bin'
      : '     openssl dgst -sha256 -verify device.pem -signature sig.bin envelope.jcs      (ECDSA P-256, DER signature)',
    '   must report success, and envelope.deviceId must equal device.id.',
  ];
}

function inclusionSteps(index: number, size: number, pathLength: number): string[] {
  if (size === 1) return ['   The tree has one leaf and the path is empty: leaf.hash itself is the root.'];
  // A broken bundle still gets its text; the verifier is what reports the fault.
  if (index >= size) return ['   (leaf.index is not below proof.treeSize, so no path can lead to the root)'];
  const sides = auditPathSides(index, size);
  const steps = sides.map((side, i) => `     step ${i + 1}: h = SHA-256(0x01 || ${side === 'left' ? `path[${i}] || h` : `h || path[${i}]`})`);
  if (pathLength !== sides.length) steps.push(`   (a leaf at this index and tree size needs ${sides.length} path hashes; the bundle has ${pathLength})`);
  return steps;
}
