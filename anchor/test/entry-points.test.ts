import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';

const LOADER = fileURLToPath(new URL('./support/load-modules.js', import.meta.url));
const loadedSchema = z.strictObject({ esm: z.array(z.string()), cjs: z.array(z.string()) });

/** Every module loaded by importing `specifiers` in a fresh Node process. */
async function modulesLoadedBy(...specifiers: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [LOADER, ...specifiers], { maxBuffer: 16 << 20, timeout: 60_000 });
  const loaded = loadedSchema.parse(JSON.parse(stdout));
  return [...loaded.esm, ...loaded.cjs];
}

/** Modules of the development tooling, which production code must not load. */
const DEV_TOOLING = /\/node_modules\/(?:hardhat|solc|@nomicfoundation)\//;

describe('the entry points load only what they need', function () {
  this.timeout(120_000);

  it('sees Hardhat (an ES module) and solc (CommonJS) when they are loaded, so the checks below can fail', async () => {
    const loaded = await modulesLoadedBy('hardhat/hre', 'solc');
    expect(loaded.some((path) => /\/node_modules\/hardhat\//.test(path)), 'hardhat').to.equal(true);
    expect(loaded.some((path) => /\/node_modules\/@nomicfoundation\//.test(path)), '@nomicfoundation').to.equal(true);
    expect(loaded.some((path) => path.includes('/node_modules/solc/') && !path.startsWith('file:')), 'solc in require.cache').to.equal(true);
  });

  it('@wr/anchor and @wr/anchor/chain load neither Hardhat nor solc', async () => {
    const loaded = await modulesLoadedBy('@wr/anchor', '@wr/anchor/chain');
    expect(loaded.filter((path) => DEV_TOOLING.test(path))).to.deep.equal([]);
    expect(loaded.some((path) => path.endsWith('/anchor/dist/src/index.js'))).to.equal(true);
    expect(loaded.some((path) => path.endsWith('/anchor/dist/src/chain/anchor-client.js'))).to.equal(true);
    expect(loaded.some((path) => path.includes('/anchor/dist/src/dev/'))).to.equal(false);
  });

  it('@wr/anchor/verifier loads neither the tooling nor the tree builder or chain client', async () => {
    const loaded = await modulesLoadedBy('@wr/anchor/verifier');
    expect(loaded.filter((path) => DEV_TOOLING.test(path) || /\/node_modules\/merkletreejs\//.test(path))).to.deep.equal([]);
    expect(loaded.filter((path) => /\/anchor\/dist\/src\/(?!verifier\/)/.test(path))).to.deep.equal([]);
    expect(loaded.some((path) => path.endsWith('/anchor/dist/src/verifier/verify.js'))).to.equal(true);
  });
});
