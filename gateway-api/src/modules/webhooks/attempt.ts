import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { checkedAddresses, pinnedLookup, TargetForbidden, type ResolveHost } from './target.js';

/** What one attempt came to: the status answered (2xx is delivered), or why there was none. */
export interface AttemptOutcome {
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export const delivered = (outcome: AttemptOutcome): boolean => outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;

export interface Poster {
  /** POSTs `body` to `url` with `headers`; never throws (a failure is an outcome). */
  post(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<AttemptOutcome>;
  close(): void;
}

export interface PosterOptions {
  readonly resolveHost: ResolveHost;
  readonly allowPrivate: boolean;
  readonly timeoutMs: number;
  /** Connections kept per target origin (the number of attempts in flight bounds them anyway). */
  readonly maxSockets: number;
  readonly userAgent: string;
}

/** Most of an answer's body that is read (and thrown away): receivers should answer quickly and briefly. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The HTTP client of the sender: the target's host is resolved and checked before every attempt and the connection
 * made to the checked addresses only; redirects are not followed (a 3xx is a failed attempt); the whole exchange,
 * connection to the end of the answer, has `timeoutMs`.
 */
export function poster(options: PosterOptions): Poster {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets, timeout: 30_000 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets, timeout: 30_000 }),
  };
  return {
    async post(target, headers, body) {
      const started = performance.now();
      const elapsed = (): number => Math.round(performance.now() - started);
      const url = new URL(target);
      let addresses;
      try {
        addresses = await checkedAddresses(url, options.resolveHost, options.allowPrivate);
      } catch (error) {
        return { statusCode: null, error: error instanceof TargetForbidden ? `target forbidden: ${error.message}` : 'target forbidden', durationMs: elapsed() };
      }
      const secure = url.protocol === 'https:';
      return new Promise<AttemptOutcome>((resolve) => {
        let settled = false;
        const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ ...outcome, durationMs: elapsed() });
        };
        const send = secure ? httpsRequest : httpRequest;
        const req = send(url, {
          method: 'POST',
          agent: secure ? agents.https : agents.http,
          lookup: pinnedLookup(addresses),
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), 'user-agent': options.userAgent },
        });
        const timer = setTimeout(() => {
          finish({ statusCode: null, error: `timeout after ${options.timeoutMs.toString()} ms` });
          req.destroy();
        }, options.timeoutMs);
        req.on('error', (error: NodeJS.ErrnoException) => finish({ statusCode: null, error: error.code ?? error.message }));
        req.on('response', (res: IncomingMessage) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            // Enough: the status is what counts; a socket left with unread bytes cannot be reused.
            if (read > MAX_ANSWER_BYTES) res.destroy();
          });
          res.on('end', () => finish({ statusCode: res.statusCode ?? null, error: null }));
          res.on('close', () => finish({ statusCode: res.statusCode ?? null, error: null }));
          res.on('error', () => finish({ statusCode: res.statusCode ?? null, error: null }));
        });
        req.end(body);
      });
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
