import type { Logger } from 'pino';
import type { CollateralConfig } from '../../config.js';
import { ApiError } from '../../http/problem.js';
import type { Identity } from '../../ledger/port.js';
import type { Clock } from '../../platform/clock.js';
import { startLoop, type Loop } from '../../platform/loop.js';
import type { Collateral, ImportResult } from './collateral.js';
import { FeedError, fetchFeed, parseFeed } from './feed.js';

/** The scheduled pull of PRICE_FEED_URL, and what its last pull did. */
export interface PriceFeed {
  /** Pulls now: the marks recorded, or a FeedError as a problem (PRICE_FEED_INVALID, PRICE_FEED_UNREACHABLE). */
  pull(): Promise<ImportResult>;
  status(): {
    url: string | null;
    intervalMs: number;
    lastPullAt: string | null;
    lastResult: { recorded: number; skipped: number } | null;
    lastError: { code: string; message: string; problems: Record<string, unknown>[] } | null;
  };
  stop(): Promise<void>;
}

/** How long one fetch of the feed may take. */
const FETCH_TIMEOUT_MS = 30_000;

export function startPriceFeed(options: { config: CollateralConfig; collateral: Collateral; oracle: () => Promise<Identity>; clock: Clock; logger: Logger }): PriceFeed {
  const { config, collateral, clock, logger } = options;
  let lastPullAt: Date | null = null;
  let lastResult: { recorded: number; skipped: number } | null = null;
  let lastError: { code: string; message: string; problems: Record<string, unknown>[] } | null = null;
  let running: Promise<ImportResult> | undefined;

  async function pullOnce(url: string): Promise<ImportResult> {
    lastPullAt = clock.now();
    try {
      const { text, format } = await fetchFeed(url, FETCH_TIMEOUT_MS);
      const marks = parseFeed(text, format, new URL(url).host);
      const result = await collateral.importMarks(await options.oracle(), marks);
      lastResult = { recorded: result.recorded.length, skipped: result.skipped };
      lastError = null;
      if (result.recorded.length > 0) logger.info({ recorded: result.recorded.length, skipped: result.skipped }, 'price feed: marks recorded');
      return result;
    } catch (error) {
      const feedError = error instanceof FeedError ? error : undefined;
      lastError = { code: feedError?.code ?? 'PRICE_FEED_UNREACHABLE', message: error instanceof Error ? error.message : String(error), problems: [...(feedError?.problems ?? [])].map((problem) => ({ ...problem })) };
      logger.warn({ err: error }, 'price feed: pull refused');
      throw error;
    }
  }

  /** One pull at a time: a manual pull during a scheduled one waits for it and answers what it did. */
  function pull(): Promise<ImportResult> {
    const url = config.feedUrl;
    if (url === undefined) return Promise.reject(new ApiError(409, 'PRICE_FEED_NOT_CONFIGURED', 'no price feed is configured (PRICE_FEED_URL)'));
    running ??= pullOnce(url).finally(() => {
      running = undefined;
    });
    return running;
  }

  const loop: Loop | undefined =
    config.feedUrl === undefined
      ? undefined
      : startLoop({
          name: 'price-feed',
          clock,
          idleMs: config.feedIntervalMs,
          backoff: { initialMs: config.feedIntervalMs, maxMs: config.feedIntervalMs },
          step: async () => {
            await pull().catch(() => undefined);
            return 'idle';
          },
        });

  return {
    pull,
    status: () => ({ url: config.feedUrl ?? null, intervalMs: config.feedIntervalMs, lastPullAt: lastPullAt?.toISOString() ?? null, lastResult, lastError }),
    async stop() {
      await loop?.stop();
      await running?.catch(() => undefined);
    },
  };
}
