import { z } from 'zod';

/** An event as a party receives it (the SSE message's data, the webhook body), and nothing more. */
export const receivedEvent = z.strictObject({
  id: z.string(),
  type: z.string(),
  timestamp: z.string(),
  object: z.strictObject({ type: z.string(), id: z.string() }),
  data: z.record(z.string(), z.unknown()),
});
export type ReceivedEvent = z.infer<typeof receivedEvent>;

/** A message of a server-sent event stream, as parsed here (WHATWG's format: id, event, data lines; comments). */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
}

/** A test's connection to GET /v1/events: what it received so far, and ways to wait for more. */
export interface SseClient {
  readonly status: number;
  readonly messages: SseMessage[];
  readonly events: ReceivedEvent[];
  /** Heartbeat comments received. */
  heartbeats: number;
  /** Resolves once `done()` holds (checked on every message), or rejects after `timeoutMs`. */
  until(done: () => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Connects to `url` (the gateway's /v1/events with its query) with a bearer token and reads it as it comes. */
export async function connectEvents(url: string, token: string, headers: Readonly<Record<string, string>> = {}): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const messages: SseMessage[] = [];
  const events: ReceivedEvent[] = [];
  const checks = new Set<() => void>();
  const counters = { heartbeats: 0 };
  const client: Omit<SseClient, 'ended'> & { ended?: Promise<void> } = {
    status: response.status,
    messages,
    events,
    heartbeats: 0,
    until(done, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!done()) return;
          clearTimeout(timer);
          checks.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(new Error(`not reached within ${timeoutMs.toString()} ms; ${events.length.toString()} events so far: ${events.map((event) => event.type).join(', ')}`));
        }, timeoutMs);
        checks.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
  const ended = (async () => {
      if (response.body === null || response.status !== 200) return;
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id: string | undefined;
            let event: string | undefined;
            const data: string[] = [];
            let comment = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comment = true;
              else if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (comment && data.length === 0) {
              counters.heartbeats++;
              client.heartbeats = counters.heartbeats;
            }
            if (data.length > 0) {
              messages.push({ id, event, data: data.join('\n') });
              events.push(receivedEvent.parse(JSON.parse(data.join('\n'))));
            }
            for (const check of checks) check();
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
  })();
  // A stream cut by close() or by the server ends quietly; the tests look at what arrived.
  ended.catch(() => undefined);
  return Object.assign(client, { ended });
}
