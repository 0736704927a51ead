#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isHttpUrl, verifyBundleJson, type Check, type VerifyResult } from '../verifier/index.js';

const usage = `Usage: wr-verify <bundle.json | -> [--rpc URL] [--json] [--timeout MS]

Verifies a wr-evidence-bundle/1 evidence bundle ("-" reads it from standard input): the device signature, the leaf
hash, the RFC 6962 inclusion proof and the checkpoint hash offline; with --rpc, also that the Anchor contract emitted
the checkpoint's root and hash in the named transaction, block and time, on the named chain.

  --rpc URL      JSON-RPC endpoint (http or https) of any node of the bundle's chain; makes the anchor check required
  --json         print the result as JSON instead of lines
  --timeout MS   bound on each RPC call (default 10000)

Exit status: 0 if every required check is VALID, 1 if one is INVALID or ERROR, 2 if the bundle could not be read
or the arguments are wrong.`;

/** Wrong arguments or an unreadable bundle: exit 2 with a message, never a stack trace. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { rpc: { type: 'string' }, json: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { positionals, values } = parsed;
  if (values.help) {
    await write(`${usage}\n`);
    return 0;
  }
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length > 0) throw new UsageError('give exactly one bundle file, or - for standard input');
  if (values.rpc !== undefined && !isHttpUrl(values.rpc)) throw new UsageError('--rpc must be an http or https URL');
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError('--timeout must be a positive number of milliseconds');

  const bytes = await readBundle(path);
  const result = await verifyBundleJson(bytes, { rpcUrl: values.rpc, timeoutMs });
  await write(values.json ? `${JSON.stringify(result, null, 2)}\n` : report(result));
  return result.ok ? 0 : 1;
}

async function readBundle(path: string): Promise<Buffer> {
  try {
    if (path !== '-') return await readFile(path);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
    throw new UsageError(`cannot read ${path === '-' ? 'standard input' : path}: ${code}`, false);
  }
}

/** One line per check, `STATUS  name  reason  detail`, then a verdict. */
function report(result: VerifyResult): string {
  const lines = result.checks.map(
    (check) => `${check.status.padEnd(8)} ${check.name.padEnd(17)} ${check.reason.padEnd(25)} ${printable(check.detail)}${check.required ? '' : ' [not required]'}`,
  );
  const required = result.checks.filter((check) => check.required);
  const failed = required.filter((check) => check.status !== 'VALID');
  const anchor = result.checks.find((check) => check.name === 'anchor');
  if (failed.length === 0) {
    const unchecked = anchor?.required === false ? '; the anchor on chain was NOT checked (give --rpc URL)' : '';
    lines.push('', `VALID: all ${required.length} required checks are VALID${unchecked}`);
  } else {
    lines.push('', `NOT VALID: ${failed.length} of ${required.length} required checks failed: ${failed.map(describe).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function describe(check: Check): string {
  return `${check.name} ${check.status} ${check.reason}`;
}

/** Details may quote the bundle; control characters there must not move the terminal's cursor. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, '?');
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof UsageError
        ? `wr-verify: ${error.message}${error.showUsage ? `\n\n${usage}` : ''}`
        : `wr-verify: could not verify: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`${message}\n`, () => process.exit(2));
  },
);
