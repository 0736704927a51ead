import type { Caller } from './auth.js';

/** What the gateway keeps on `res.locals` during a request, typed once instead of checked at every use. */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares Locals in this global namespace
  namespace Express {
    interface Locals {
      /** Set first, by requestObservability. */
      requestId?: string;
      /** The route template, for metrics and logs (`POST /v1/receipts/{id}/release`). */
      route?: string;
      /** Set by authenticate for /v1 requests. */
      caller?: Caller;
    }
  }
}

export {};
