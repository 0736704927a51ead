import { createAnchorClient, type AnchorClient } from '@wr/anchor/chain';
import type { DevChain } from '@wr/anchor/dev';
import { join } from 'node:path';
import { ConfigError, type AnchorConfig } from '../../config.js';
import type { CheckpointStore } from './checkpoint-store.js';

/** The chain anchors go to: the dev chain under DATA_DIR, or ANCHOR_RPC_URL. */
export interface AnchorChain {
  readonly kind: 'dev-chain' | 'rpc';
  /** A JSON-RPC URL where anyone may check anchors (the dev chain's read-only endpoint, or ANCHOR_RPC_URL). */
  readonly rpcUrl: string | undefined;
  readonly client: AnchorClient;
  close(): Promise<void>;
}

/**
 * Opens the configured chain and an anchoring client on it. The contract is ANCHOR_CONTRACT, or the one remembered
 * for this chain, or deployed on the first anchoring and remembered then.
 */
export async function openAnchorChain(config: AnchorConfig, dataDir: string, store: CheckpointStore): Promise<AnchorChain> {
  let devChain: DevChain | undefined;
  let privateKey = config.privateKey;
  if (config.rpcUrl === undefined) {
    // Loaded only here: the dev chain brings Hardhat's EDR, which a gateway anchoring to ANCHOR_RPC_URL never needs.
    const { DEV_PRIVATE_KEY, openDevChain } = await import('@wr/anchor/dev');
    privateKey ??= DEV_PRIVATE_KEY;
    devChain = await openDevChain({
      dir: join(dataDir, 'chain'),
      port: config.devRpcPort,
      fundedKeys: privateKey === DEV_PRIVATE_KEY ? [DEV_PRIVATE_KEY] : [DEV_PRIVATE_KEY, privateKey],
    });
  }
  // The configuration refuses ANCHOR_RPC_URL without ANCHOR_PRIVATE_KEY, and the dev chain brings its own key.
  if (privateKey === undefined) throw new ConfigError('invalid configuration: ANCHOR_PRIVATE_KEY: required with ANCHOR_RPC_URL');
  try {
    const endpoint = devChain ? { provider: devChain.provider } : { rpcUrl: config.rpcUrl ?? '' };
    const chainId = await createAnchorClient({ ...endpoint, privateKey }).chainId();
    const remembered = config.contract === undefined ? await store.contract(chainId) : undefined;
    const contract = config.contract ?? remembered?.address;
    const client = createAnchorClient({
      ...endpoint,
      privateKey,
      confirmations: config.confirmations,
      ...(contract === undefined ? {} : { contract }),
      ...(remembered ? { fromBlock: remembered.deployBlock } : {}),
      onDeployed: async (deployment) => store.rememberContract(chainId, deployment, client.signer),
    });
    return {
      kind: devChain ? 'dev-chain' : 'rpc',
      rpcUrl: devChain ? devChain.rpcUrl : config.rpcUrl,
      client,
      close: async () => devChain?.close(),
    };
  } catch (error) {
    await devChain?.close();
    throw error;
  }
}
