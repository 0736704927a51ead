/**
 * `@wr/anchor/chain`: the chain client (ethers v6; idempotent, crash-safe anchoring) and what it speaks through.
 * Nothing here loads Hardhat or solc; the dev chain and `hardhat node` are `@wr/anchor/dev`.
 */
export { ANCHOR_ABI, ANCHORED_EVENT_SIGNATURE, ANCHORED_EVENT_TOPIC } from '../verifier/anchor-abi.js';
export { type AnchorArtifact, loadAnchorArtifact } from './anchor-artifact.js';
export {
  type AnchorCallOptions,
  type AnchorClient,
  type AnchorClientOptions,
  type AnchorRecord,
  type CheckpointAnchor,
  type Deployment,
  type PendingAnchor,
  createAnchorClient,
} from './anchor-client.js';
export { ChainError, type ChainErrorCode, type ChainErrorDetails, isChainError } from '../verifier/chain-error.js';
export { type Eip1193Provider, JsonRpcResponseError, httpJsonRpcProvider } from '../verifier/json-rpc.js';
