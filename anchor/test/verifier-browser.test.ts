import { expect } from 'chai';
import { build, type BuildResult } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { fromBase64 } from '../src/hash.js';
import { verifyBundleJson, type VerifyResult } from '../src/verifier/index.js';
import { bundleFixture, type BundleFixture } from './support/bundle-fixture.js';

/** The compiled `@wr/anchor/verifier` entry, as the package exports it. */
const ENTRY = fileURLToPath(new URL('../src/verifier/index.js', import.meta.url));

/** Bundles the verifier entry for the browser, in memory; esbuild fails on any import of a Node built-in. */
async function bundle(format: 'esm' | 'iife'): Promise<{ text: string; inputs: string[]; result: BuildResult }> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'browser',
    format,
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...(format === 'iife' ? { globalName: 'wrVerifier' } : {}),
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild wrote no output');
  return { text: output.text, inputs: Object.keys(result.metafile.inputs), result };
}

/** What a browser has of the platform, and nothing of Node's: no process, Buffer, require or global. */
function browserLikeContext(): Record<string, unknown> {
  const context: Record<string, unknown> = { TextEncoder, TextDecoder, URL, AbortSignal, crypto: globalThis.crypto, setTimeout, clearTimeout, console };
  // ethers looks for the global object as `self`, as in a window or a worker.
  context.self = context;
  return createContext(context);
}

describe('@wr/anchor/verifier in a browser', function () {
  this.timeout(60_000);
  let fixture: BundleFixture;
  before(() => {
    fixture = bundleFixture();
  });

  it('bundles for the browser (esbuild, platform browser) without any Node module', async () => {
    const { text, inputs, result } = await bundle('esm');
    expect(result.errors).to.deep.equal([]);
    expect(text).to.not.match(/(?:require\(|from |import\()\s*["']node:/);
    const nodeOnly = inputs.filter((input) => /^node:|\/node_modules\/(?:hardhat|solc|@nomicfoundation|merkletreejs)\//.test(input));
    expect(nodeOnly).to.deep.equal([]);
    // The crypto port is in it, and so is the verifier itself.
    expect(inputs.some((input) => input.includes('/node_modules/@noble/curves/'))).to.equal(true);
    expect(inputs.some((input) => input.endsWith('dist/src/verifier/verify.js'))).to.equal(true);
  });

  it('fails to bundle code that needs a Node module, so the test above can fail', async () => {
    const nodeEntry = fileURLToPath(new URL('../src/index.js', import.meta.url));
    const failure = await build({ entryPoints: [nodeEntry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure, 'the Node entry (node:crypto) bundled for the browser').to.be.instanceOf(Error);
  });

  it('verifies the fixture bundles, run where no Node global exists, exactly as the core does under Node', async () => {
    const { text } = await bundle('iife');
    const context = browserLikeContext();
    runInContext(text, context);
    const bundled = bundledVerifier(context);
    const tampered = fixture.bundle(1);
    if (tampered.evidence.kind !== 'device-reading') throw new Error('fixture 1 is a device reading');
    const signature = fromBase64(tampered.evidence.record.signature);
    signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 1;
    tampered.evidence.record.signature = signature.toString('base64');
    const texts = [...fixture.evidence.map((_, index) => JSON.stringify(fixture.bundle(index))), JSON.stringify(tampered), '{"format":'];
    for (const [index, json] of texts.entries()) {
      const inBrowser = JSON.stringify(await bundled(json));
      const inNode: VerifyResult = await verifyBundleJson(json);
      expect(inBrowser, `bundle ${index}`).to.equal(JSON.stringify(inNode));
      expect(inNode.ok, `bundle ${index}`).to.equal(index < fixture.evidence.length);
    }
  });
});

/** The bundled verifyBundleJson, from the IIFE's global in `context`. */
function bundledVerifier(context: Record<string, unknown>): (json: string) => Promise<unknown> {
  const entry: unknown = context.wrVerifier;
  if (typeof entry !== 'object' || entry === null || !('verifyBundleJson' in entry) || typeof entry.verifyBundleJson !== 'function') {
    throw new Error('the bundle did not define wrVerifier.verifyBundleJson');
  }
  const verify = entry.verifyBundleJson as (json: string) => Promise<unknown>;
  return (json) => verify(json);
}
