import { BrowserProvider, Contract, ContractFactory, type Signer } from 'ethers';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHardhatRuntimeEnvironment } from 'hardhat/hre';
import solc from 'solc';
import { z } from 'zod';
import { anchorSchema, type Anchor, type Checkpoint } from '../../src/verifier/index.js';

/** A stand-in with the Anchor contract's fixed interface, plus calls that emit nothing or revert. */
const SOURCE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
contract TestAnchor {
    event Anchored(bytes32 indexed root, bytes32 indexed checkpointHash, uint64 seq);
    mapping(bytes32 => bytes32) public checkpointHashOf;
    function anchor(bytes32 root, bytes32 checkpointHash, uint64 seq) external {
        checkpointHashOf[root] = checkpointHash;
        emit Anchored(root, checkpointHash, seq);
    }
    function poke() external {}
    function fail() external pure { revert("refused"); }
}`;

const solcOutputSchema = z.object({
  errors: z.array(z.object({ severity: z.string(), formattedMessage: z.string() })).optional(),
  contracts: z.record(z.string(), z.record(z.string(), z.object({ abi: z.array(z.unknown()), evm: z.object({ bytecode: z.object({ object: z.string() }) }) }))),
});

function compile(): { abi: unknown[]; bytecode: string } {
  const input = { language: 'Solidity', sources: { 'TestAnchor.sol': { content: SOURCE } }, settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } };
  const output = solcOutputSchema.parse(JSON.parse((solc as { compile(input: string): string }).compile(JSON.stringify(input))));
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((error) => error.formattedMessage).join('\n'));
  const contract = output.contracts['TestAnchor.sol']?.TestAnchor;
  if (contract === undefined) throw new Error('solc produced no TestAnchor');
  return { abi: contract.abi, bytecode: contract.evm.bytecode.object };
}

/** Hardhat's in-process EDR chain with the test contract deployed. */
export interface TestChain {
  readonly provider: BrowserProvider;
  /** The chain's own EIP-1193 provider, unwrapped. */
  readonly eip1193: { request(args: { method: string; params?: unknown[] }): Promise<unknown> };
  readonly contract: Contract;
  readonly address: string;
  /** Anchors `checkpoint` and returns the anchor as the gateway would record it. */
  anchor(checkpoint: Checkpoint): Promise<Anchor>;
  /** The anchor record of a successful call that emits no Anchored log. */
  poke(): Promise<Anchor>;
  /** A transaction hash of a call that reverted, mined with status 0. */
  fail(): Promise<string>;
  /** A JSON-RPC endpoint over HTTP in front of the chain, for the command line. */
  serveHttp(): Promise<{ url: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startTestChain(): Promise<TestChain> {
  const { abi, bytecode } = compile();
  const hre = await createHardhatRuntimeEnvironment({});
  const connection = await hre.network.connect();
  const provider = new BrowserProvider(connection.provider);
  const signer: Signer = await provider.getSigner(0);
  const deployed = await new ContractFactory(abi as never[], bytecode, signer).deploy();
  await deployed.waitForDeployment();
  const address = (await deployed.getAddress()).toLowerCase();
  const contract = new Contract(address, abi as never[], signer);
  const chainId = Number((await provider.getNetwork()).chainId);
  const send = async (method: string, ...args: unknown[]): Promise<string> => {
    const fn = contract.getFunction(method);
    const tx = (await fn.send(...args)) as { hash: string; wait(): Promise<unknown> };
    await tx.wait();
    return tx.hash;
  };
  const anchorOf = async (txHash: string): Promise<Anchor> => {
    const receipt = await provider.getTransactionReceipt(txHash);
    const block = receipt === null ? null : await provider.getBlock(receipt.blockHash);
    if (receipt === null || block === null) throw new Error('the transaction vanished');
    return anchorSchema.parse({ chainId, contract: address, txHash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, blockTimestamp: block.timestamp });
  };
  return {
    provider,
    eip1193: connection.provider,
    contract,
    address,
    anchor: async (checkpoint) => anchorOf(await send('anchor', checkpoint.root, checkpoint.hash, checkpoint.seq)),
    poke: async () => anchorOf(await send('poke')),
    async fail() {
      const from = await signer.getAddress();
      const data = contract.interface.encodeFunctionData('fail');
      try {
        await connection.provider.request({ method: 'eth_sendTransaction', params: [{ from, to: address, data, gas: '0x30000' }] });
      } catch (error) {
        // EDR mines the reverting transaction, then reports the revert with the transaction's hash.
        return z.object({ transactionHash: z.string() }).parse(error).transactionHash;
      }
      throw new Error('fail() did not revert');
    },
    async serveHttp() {
      const server: Server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          void (async () => {
            const call = z.object({ id: z.unknown(), method: z.string(), params: z.array(z.unknown()).optional() }).parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            let reply: object;
            try {
              const result: unknown = await connection.provider.request({ method: call.method, params: call.params ?? [] });
              reply = { jsonrpc: '2.0', id: call.id, result };
            } catch (error) {
              reply = { jsonrpc: '2.0', id: call.id, error: { code: -32000, message: error instanceof Error ? error.message : String(error) } };
            }
            response.setHeader('content-type', 'application/json');
            response.end(JSON.stringify(reply));
          })();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    },
    close: () => connection.close(),
  };
}
