import { reservePort } from '@wr/anchor/testing';
import { expect } from 'chai';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { defaultConsoleDir } from '../../src/http/console-site.js';
import { TestDevice } from '../evidence/devices.js';
import { screenshotDir, useConsole } from './browser.js';

type Bundle = Record<string, unknown> & {
  evidence: { record: { envelope: { readings: { value: number }[] }; signature: string } };
  proof: { path: string[] };
  checkpoint: { root: string };
};

const accepted = z.object({ data: z.object({ items: z.array(z.object({ status: z.literal('accepted'), id: z.string() })) }) });

/** The 0x-hex hash with its last digit changed. */
const changedHash = (hex: string): string => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;

describe('the verification page in a real browser, opened from disk as a court keeps it', function () {
  this.timeout(120_000);
  const suite = useConsole('en-GB');
  let bundle: Bundle;
  let rpcUrl: string;
  const file = pathToFileURL(`${defaultConsoleDir}/verify.html`).href;

  before(async function () {
    this.timeout(120_000);
    const { gateway } = suite();
    const device = new TestDevice('TEMP-VERIFY-UI-1', 'ECDSA-P256');
    const registered = await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration() });
    expect(registered.status, registered.text).to.equal(201);
    // Three leaves, so that the proof of the first has a path to tamper with.
    const reply = await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: [1, 2, 3].map((seq) => device.item(seq)) } });
    expect(reply.status, reply.text).to.equal(200);
    const [id = ''] = accepted.parse(reply.body).data.items.map((item) => item.id);
    await gateway.gateway.anchoringSettled();
    const fetched = await gateway.request('custodian.auditor', 'GET', `/v1/evidence/${id}/bundle`);
    expect(fetched.status, fetched.text).to.equal(200);
    bundle = (fetched.body as { data: Bundle }).data;
    rpcUrl = gateway.gateway.anchorRpcUrl() ?? '';
    expect(rpcUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+/);
  });
  afterEach(() => {
    expect(suite().errors, 'errors the page reported').to.deep.equal([]);
  });

  /** Pastes `bundle` into the page at `url`, names `rpc` (if any), verifies, and reads what each step shows. */
  async function check(url: string, input: unknown, rpc?: string): Promise<{ verdict: string; steps: Record<string, string>; reasons: Record<string, string>; elapsedMs: number }> {
    const { page } = suite();
    await page.goto(url);
    await page.getByTestId('bundle').fill(JSON.stringify(input));
    await page.getByTestId('rpc').fill(rpc ?? '');
    await page.getByTestId('verify').click();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor();
    const steps: Record<string, string> = {};
    const reasons: Record<string, string> = {};
    for (const row of await page.locator('[data-testid^="step-"]').all()) {
      const name = ((await row.getAttribute('data-testid')) ?? '').slice('step-'.length);
      steps[name] = (await row.getAttribute('data-shown')) ?? '';
      reasons[name] = (await row.getAttribute('data-reason')) ?? '';
    }
    return { verdict: (await verdict.getAttribute('data-verdict')) ?? '', steps, reasons, elapsedMs: Number(await page.getByTestId('elapsed').getAttribute('data-ms')) };
  }

  it('shows VALID for a good bundle, every step VALID against the dev chain, with the endpoint that answered and computed beside claimed values', async () => {
    const result = await check(file, bundle, rpcUrl);
    expect(result.verdict).to.equal('VALID');
    expect(result.steps).to.deep.equal({ format: 'VALID', 'device-signature': 'VALID', 'leaf-hash': 'VALID', 'inclusion-proof': 'VALID', 'checkpoint-hash': 'VALID', anchor: 'VALID' });
    const { page } = suite();
    expect(await page.getByTestId('endpoint').innerText()).to.equal(rpcUrl);
    const root = await page.getByTestId('step-inclusion-proof').innerText();
    expect(root).to.include(`Computed: ${bundle.checkpoint.root}`).and.include(`Claimed: ${bundle.checkpoint.root}`);
    expect(await page.getByTestId('step-anchor').innerText()).to.include(`Answered by: ${rpcUrl}`);
    console.log(`      verification in the page took ${result.elapsedMs.toFixed(1)} ms (with the chain)`);
    await page.screenshot({ path: `${screenshotDir}verify.en.png`, fullPage: true });
  });

  const tampered: readonly [string, (copy: Bundle) => void, Record<string, string>][] = [
    ['a reading of the record', (copy) => void (copy.evidence.record.envelope.readings[0] = { ...copy.evidence.record.envelope.readings[0], value: 99 } as never), { 'device-signature': 'INVALID', 'leaf-hash': 'INVALID' }],
    ['a hash of the inclusion path', (copy) => void (copy.proof.path[0] = changedHash(copy.proof.path[0] ?? '')), { 'inclusion-proof': 'INVALID' }],
    ['the device signature', (copy) => void (copy.evidence.record.signature = `${copy.evidence.record.signature[0] === 'M' ? 'N' : 'M'}${copy.evidence.record.signature.slice(1)}`), { 'device-signature': 'INVALID' }],
    ['the checkpoint root', (copy) => void (copy.checkpoint.root = changedHash(copy.checkpoint.root)), { 'inclusion-proof': 'INVALID', 'checkpoint-hash': 'INVALID' }],
  ];
  for (const [what, change, expected] of tampered) {
    it(`shows INVALID for a bundle with ${what} changed, at the step it breaks`, async () => {
      const copy = structuredClone(bundle);
      change(copy);
      const result = await check(file, copy);
      expect(result.verdict).to.equal('INVALID');
      for (const [step, shown] of Object.entries(expected)) expect(result.steps[step], `${step}: ${await suite().page.getByTestId(`step-${step}`).innerText()}`).to.equal(shown);
      // The steps the change does not touch still hold.
      expect(result.steps.format).to.equal('VALID');
    });
  }

  it('shows UNABLE TO CHECK, never INVALID, when the chain endpoint cannot be reached', async () => {
    // A port reserved for this process and checked free: nothing listens on it.
    const closed = await reservePort();
    const result = await check(file, bundle, `http://127.0.0.1:${closed}`);
    // Chromium says so in the console; that is the refused connection this test is about, not a fault of the page.
    const errors = suite().errors;
    expect(errors.splice(0).filter((error) => !error.includes('net::ERR_CONNECTION_REFUSED'))).to.deep.equal([]);
    expect(result.verdict).to.equal('UNABLE_TO_CHECK');
    expect(result.steps.anchor).to.equal('UNABLE_TO_CHECK');
    expect(result.reasons.anchor).to.equal('RPC_UNAVAILABLE');
    expect(Object.values(result.steps).filter((shown) => shown === 'INVALID')).to.deep.equal([]);
  });

  it('is served at /verify by the gateway too, where without an endpoint the anchor is SKIPPED and the bundle VALID', async () => {
    const result = await check(`${suite().gateway.url}/verify`, bundle);
    expect(result.verdict).to.equal('VALID');
    expect(result.steps.anchor).to.equal('SKIPPED');
  });

  it('prints an A4 report: the verdict and every step, without the inputs', async () => {
    const { page } = suite();
    await check(file, bundle, rpcUrl);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.inputs').isVisible()).to.equal(false);
    expect(await page.getByTestId('verdict').isVisible()).to.equal(true);
    const pdf = await page.pdf({ format: 'A4', path: `${screenshotDir}verify-report.en.pdf` });
    expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
    await page.emulateMedia({ media: 'screen' });
  });
});
