// When to ask again. Queries follow the article's growing intervals (5 s, 10 s, 20 s, 1 min, …) with jitter, and
// stop after the ladder: an order nobody pays costs at most the ladder's queries plus the one close at expiry
// (the budget is 8 channel calls), however long the order lives. Everything else backs off exponentially.

/** Seconds after the attempt is opened, then after each query (channel article 二.1 对接-退款⑦; DESIGN §5). */
export const QUERY_LADDER_SECONDS = [5, 10, 20, 60, 120, 300, 600] as const;

/** Webhooks: from 30 s doubling to 6 h, then every 6 h, for at least 3 days (like Stripe's horizon). */
export const WEBHOOK_HORIZON_SECONDS = 3 * 86_400 + 6 * 3600;

/** A delay with ±20 % jitter, so many orders made together do not query together. */
export function jitter(seconds: number, random: () => number = Math.random): number {
  return seconds * (0.8 + 0.4 * random());
}

/** The wait before query number `done + 1` of an attempt, or undefined when the ladder is spent. */
export function nextQueryDelay(done: number): number | undefined {
  const step = QUERY_LADDER_SECONDS[done];
  return step === undefined ? undefined : jitter(step);
}

/** Exponential backoff for retries: 30 s × 2^n, capped at `capSeconds`. */
export function retryDelay(failures: number, capSeconds = 6 * 3600, baseSeconds = 30): number {
  return jitter(Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, failures - 1)));
}
