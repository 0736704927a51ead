export { ANCHOR_ABI, ANCHORED_EVENT_SIGNATURE, ANCHORED_EVENT_TOPIC } from './anchor-abi.js';
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
export { ChainError, type ChainErrorCode, type ChainErrorDetails, isChainError } from './chain-error.js';
export {
  DEFAULT_DEV_RPC_PORT,
  DEV_CHAIN_ID,
  DEV_PRIVATE_KEY,
  type DevChain,
  type DevChainOptions,
  openDevChain,
} from './dev-chain.js';
export { type HardhatNode, type HardhatNodeOptions, startHardhatNode } from './hardhat-node.js';
export { type Eip1193Provider, JsonRpcResponseError, httpJsonRpcProvider } from './json-rpc.js';
export { READ_ONLY_METHODS, isLoopbackHost } from './read-only-rpc-server.js';
