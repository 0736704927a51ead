import { type HardhatNode, startHardhatNode } from '../../../src/dev/hardhat-node.js';

/**
 * Registers mocha hooks that start a `hardhat node` on a free loopback port before the suite and stop it after.
 * Call inside a `describe`; the returned function gives the running node.
 */
export function useHardhatNode(): () => HardhatNode {
  let node: HardhatNode | undefined;
  before(async function () {
    this.timeout(90_000);
    node = await startHardhatNode();
  });
  after(async () => {
    await node?.stop();
  });
  return () => {
    if (node === undefined) throw new Error('the hardhat node is not running (used outside the suite?)');
    return node;
  };
}
