import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import {
  BrowserProvider,
  type Contract,
  ContractFactory,
  Interface,
  type JsonRpcSigner,
  type TransactionReceipt,
  isError,
} from 'ethers';

import { ANCHOR_ABI, ANCHORED_EVENT_TOPIC } from '../../src/verifier/anchor-abi.js';
import { ANCHOR_ARTIFACT_PATH, anchorPackagePath, loadAnchorArtifact } from '../../src/chain/anchor-artifact.js';
import { compileAnchorSourceFile } from '../../src/dev/compile-contract.js';
import { type EdrChain, startEdrChain } from './support/edr.js';

const ZERO = `0x${'00'.repeat(32)}`;
const hash = (byte: string) => `0x${byte.repeat(32)}`;
const MAX_UINT64 = 2n ** 64n - 1n;

/** The custom error a failed call reverted with, as ethers decoded it from the revert data. */
async function revertOf(call: Promise<unknown>): Promise<{ name: string; args: unknown[] }> {
  try {
    await call;
  } catch (error) {
    if (isError(error, 'CALL_EXCEPTION') && error.revert !== null) {
      const args: unknown[] = Array.from(error.revert.args);
      return { name: error.revert.name, args };
    }
    throw error;
  }
  throw new Error('the call did not revert');
}

describe('Anchor contract', function () {
  this.timeout(60_000);

  it('the committed artifact is exactly what the source compiles to', async () => {
    const committed = await readFile(anchorPackagePath(ANCHOR_ARTIFACT_PATH), 'utf8');
    const fresh = await compileAnchorSourceFile();
    expect(
      committed === fresh,
      `${ANCHOR_ARTIFACT_PATH} is stale: run \`npm run compile:contract -w @wr/anchor\` and commit the result`,
    ).to.be.true;
  });

  it('the artifact ABI is exactly the interface the client and the verifier rely on', () => {
    const format = (i: Interface) => [...i.format()].sort();
    expect(format(new Interface(JSON.stringify(loadAnchorArtifact().abi))))
      .to.deep.equal(format(new Interface(ANCHOR_ABI)));
  });

  describe('on an in-process EDR chain', () => {
    let chain: EdrChain;
    let owner: JsonRpcSigner;
    let stranger: JsonRpcSigner;
    let anchor: Contract;

    before(async () => {
      chain = await startEdrChain();
      const provider = new BrowserProvider(chain.provider, undefined, { cacheTimeout: -1 });
      owner = await provider.getSigner(0);
      stranger = await provider.getSigner(1);
      const { abi, bytecode } = loadAnchorArtifact();
      const factory = new ContractFactory(JSON.stringify(abi), bytecode, owner);
      const deployed = await factory.deploy();
      await deployed.waitForDeployment();
      anchor = deployed as Contract;
    });

    after(async () => {
      await chain.close();
    });

    async function anchorTx(signer: JsonRpcSigner, root: string, checkpointHash: string, seq: bigint) {
      const connected = anchor.connect(signer) as Contract;
      const tx = (await connected.getFunction('anchor')(root, checkpointHash, seq)) as { wait(): Promise<TransactionReceipt | null> };
      const receipt = await tx.wait();
      if (receipt === null) throw new Error('no receipt');
      return receipt;
    }

    it('records an anchoring: the event carries root, checkpoint hash and seq, and the view returns the hash', async () => {
      const receipt = await anchorTx(owner, hash('11'), hash('22'), 7n);
      const logs = receipt.logs.filter((l) => l.topics[0] === ANCHORED_EVENT_TOPIC);
      expect(logs).to.have.length(1);
      const [log] = logs;
      expect(log?.address).to.equal(await anchor.getAddress());
      expect(log?.topics[1]).to.equal(hash('11'));
      expect(log?.topics[2]).to.equal(hash('22'));
      const parsed = anchor.interface.parseLog({ topics: [...(log?.topics ?? [])], data: log?.data ?? '0x' });
      expect(parsed?.name).to.equal('Anchored');
      expect(parsed?.args.toArray()).to.deep.equal([hash('11'), hash('22'), 7n]);
      expect(await anchor.getFunction('checkpointHashOf')(hash('11'))).to.equal(hash('22'));
      expect(await anchor.getFunction('checkpointHashOf')(hash('33'))).to.equal(ZERO);
    });

    it('refuses to anchor the same root a second time, even with the same checkpoint hash', async () => {
      await anchorTx(owner, hash('44'), hash('55'), 1n);
      for (const checkpointHash of [hash('55'), hash('66')]) {
        const refusal = await revertOf(anchor.getFunction('anchor').staticCall(hash('44'), checkpointHash, 2n));
        expect(refusal).to.deep.equal({ name: 'AlreadyAnchored', args: [hash('44')] });
      }
      expect(await anchor.getFunction('checkpointHashOf')(hash('44'))).to.equal(hash('55'));
    });

    it('refuses anyone but the deployer', async () => {
      const asStranger = anchor.connect(stranger) as Contract;
      expect(await revertOf(asStranger.getFunction('anchor').staticCall(hash('77'), hash('88'), 1n))).to.deep.equal({
        name: 'NotOwner',
        args: [],
      });
      expect(await anchor.getFunction('owner')()).to.equal(await owner.getAddress());
    });

    it('refuses a zero root or a zero checkpoint hash', async () => {
      const call = (root: string, checkpointHash: string) =>
        anchor.getFunction('anchor').staticCall(root, checkpointHash, 1n);
      expect((await revertOf(call(ZERO, hash('99')))).name).to.equal('ZeroValue');
      expect((await revertOf(call(hash('99'), ZERO))).name).to.equal('ZeroValue');
    });

    it('costs at most 50,000 gas per anchoring, the same whatever tree the root stands for', async () => {
      // The contract only ever sees a 32-byte root, so a tree of 1 leaf and one of 1,000,000 leaves cost the same;
      // gas depends only on the calldata bytes, so the worst case is all-non-zero arguments and the largest seq.
      const rootOfOneLeaf = hash('a1');
      const rootOfAMillionLeaves = hash('b2');
      const one = await anchorTx(owner, rootOfOneLeaf, hash('c3'), MAX_UINT64);
      const million = await anchorTx(owner, rootOfAMillionLeaves, hash('c4'), MAX_UINT64);
      expect(one.gasUsed).to.equal(million.gasUsed);
      expect(Number(one.gasUsed)).to.be.at.most(50_000);
      // Printed so the figure in the docs can be checked against a run.
      console.log(`      gas per anchoring (worst-case calldata): ${one.gasUsed}`);
    });
  });
});
