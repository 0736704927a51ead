import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Receipt = components['schemas']['Receipt'];
export type Session = components['schemas']['Session'];
export type DevIdentity = components['schemas']['DevIdentity'];
export type Problem = components['schemas']['Problem'];

const tokenKey = 'wr.token';

/** The bearer token of this tab: session storage only (gone with the tab), never in a URL. */
export const token = {
  get: (): string | null => sessionStorage.getItem(tokenKey),
  set: (value: string): void => sessionStorage.setItem(tokenKey, value),
  clear: (): void => sessionStorage.removeItem(tokenKey),
};

const bearer: Middleware = {
  onRequest({ request }) {
    const value = token.get();
    if (value !== null && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${value}`);
    return request;
  },
};

/** The typed client of the gateway's API, generated from its OpenAPI document (src/api/schema.d.ts). */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(bearer);

/** A refusal as the console shows it: the API's stable code and its detail, or NETWORK when no answer came. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** What a refused feed says of each bad row (PRICE_FEED_INVALID), as the problem document lists them. */
    readonly problems: readonly { readonly row: number; readonly field: string | null; readonly code: string; readonly message: string }[] = [],
  ) {
    super(`${code}: ${detail}`);
    this.name = 'ApiProblem';
  }
}

/** The data of a response, or an ApiProblem carrying the problem document's code and detail. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    throw new ApiProblem(0, 'NETWORK', error instanceof Error ? error.message : String(error));
  }
  if (result.error !== undefined || result.data === undefined) {
    const problem = (result.error ?? {}) as Partial<Problem> & { problems?: ApiProblem['problems'] };
    throw new ApiProblem(result.response.status, problem.code ?? `HTTP_${result.response.status}`, problem.detail ?? result.response.statusText, Array.isArray(problem.problems) ? problem.problems : []);
  }
  return result.data;
}

/** A fresh Idempotency-Key: one per action the user submits, so a retried request is not done twice. */
export const idempotencyKey = (): string => crypto.randomUUID();
