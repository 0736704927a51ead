import { useEffect, useRef } from 'react';
import { token } from './api/client';

/** The slowest a view refreshes when it cannot hear events (the stream is down): the 5 s floor, tripled. */
const FALLBACK_POLL_MS = 15_000;
/** Events arriving close together refresh a view once. */
const SETTLE_MS = 1_000;

/**
 * Calls `refresh` soon after an event of `types` arrives on GET /v1/events (server-sent events, read with fetch so
 * that the token goes in the Authorization header: EventSource cannot send one, and a token never goes in a URL).
 * While the stream is down it retries with backoff and refreshes every 15 s meanwhile.
 */
export function useLiveRefresh(types: readonly string[], refresh: () => void): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  const key = types.join(',');
  useEffect(() => {
    const controller = new AbortController();
    let settle: ReturnType<typeof setTimeout> | undefined;
    let poll: ReturnType<typeof setInterval> | undefined;
    const soon = () => {
      clearTimeout(settle);
      settle = setTimeout(() => latest.current(), SETTLE_MS);
    };
    const polling = (on: boolean) => {
      clearInterval(poll);
      poll = on ? setInterval(() => latest.current(), FALLBACK_POLL_MS) : undefined;
    };
    const listen = async () => {
      for (let backoff = 1_000; !controller.signal.aborted; backoff = Math.min(backoff * 2, 30_000)) {
        try {
          const response = await fetch(`/v1/events?types=${encodeURIComponent(key)}`, {
            headers: { authorization: `Bearer ${token.get() ?? ''}`, accept: 'text/event-stream' },
            signal: controller.signal,
          });
          if (!response.ok || response.body === null) throw new Error(`events: ${response.status}`);
          polling(false);
          backoff = 1_000;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffered = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffered += value;
            // An event ends at a blank line; only events with data count (heartbeats are comments).
            let end = buffered.indexOf('\n\n');
            while (end >= 0) {
              if (/^data: /m.test(buffered.slice(0, end))) soon();
              buffered = buffered.slice(end + 2);
              end = buffered.indexOf('\n\n');
            }
          }
        } catch {
          if (controller.signal.aborted) return;
        }
        polling(true);
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    };
    void listen();
    return () => {
      controller.abort();
      clearTimeout(settle);
      clearInterval(poll);
    };
  }, [key]);
}
