import { createHardhatRuntimeEnvironment } from 'hardhat/hre';

import type { Eip1193Provider } from '../../../src/verifier/json-rpc.js';

/** A fresh in-process EDR chain (Hardhat's default network: chain 31337, the public test accounts, automine). */
export interface EdrChain {
  readonly provider: Eip1193Provider;
  close(): Promise<void>;
}

/** Starts a fresh in-process EDR chain; close it in an `after`/`afterEach` hook. */
export async function startEdrChain(): Promise<EdrChain> {
  const hre = await createHardhatRuntimeEnvironment({});
  const connection = await hre.network.connect();
  return { provider: connection.provider, close: () => connection.close() };
}

/** Sends one JSON-RPC request; for test plumbing (evm_mine, evm_setAutomine, ...). */
export function rpc(provider: Eip1193Provider, method: string, ...params: unknown[]): Promise<unknown> {
  return provider.request({ method, params });
}

/** Resolves when `condition` holds, polling every 10 ms; fails after `timeoutMs`. */
export async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
