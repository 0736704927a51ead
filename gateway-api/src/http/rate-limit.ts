/**
 * A token bucket per key (the caller's token id): `burst` requests at once, refilled at `perSecond`. In memory, so
 * per gateway process; a fleet behind a load balancer would share one in Redis or at the proxy.
 */
export interface RateLimiter {
  /** Takes one request's worth; returns the seconds to wait when the bucket is empty. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

export function tokenBucket(options: { readonly burst: number; readonly perSecond: number; readonly now?: () => number }): RateLimiter {
  const now = options.now ?? (() => performance.now() / 1000);
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: t };
      bucket.tokens = Math.min(options.burst, bucket.tokens + (t - bucket.at) * options.perSecond);
      bucket.at = t;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond)) };
    },
  };
}
