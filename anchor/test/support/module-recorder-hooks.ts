// Module hooks for load-modules.ts: writes the URL of every module resolved to a log file, one per line. Written
// synchronously before resolution returns, so the log is complete once an import has settled.
import { appendFileSync } from 'node:fs';
import type { InitializeHook, ResolveHook } from 'node:module';

let log: string | undefined;

export const initialize: InitializeHook<{ log: string }> = (data) => {
  log = data.log;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const result = await nextResolve(specifier, context);
  if (log !== undefined) appendFileSync(log, `${result.url}\n`);
  return result;
};
