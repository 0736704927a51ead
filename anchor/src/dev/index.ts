/**
 * `@wr/anchor/dev`, for development and tests only: the persistent in-process dev chain (Hardhat EDR) with its
 * read-only JSON-RPC endpoint, `hardhat node` as a child process, and the Anchor contract's compiler (solc).
 * Production code imports it lazily, when it runs the dev chain, so that Hardhat and solc stay off its path.
 */
export { ANCHOR_SOURCE_NAME, SOLC_SETTINGS, SOLC_VERSION_PREFIX, compileAnchorContract, compileAnchorSourceFile, serializeArtifact } from './compile-contract.js';
export { DEFAULT_DEV_RPC_PORT, DEV_CHAIN_ID, DEV_PRIVATE_KEY, type DevChain, type DevChainOptions, openDevChain } from './dev-chain.js';
export { type HardhatNode, type HardhatNodeOptions, startHardhatNode } from './hardhat-node.js';
export { READ_ONLY_METHODS, isLoopbackHost } from './read-only-rpc-server.js';
