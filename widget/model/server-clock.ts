// The server's clock as the page can know it: the last server timestamp, corrected by half the round trip, plus
// the page's monotonic time since. A customer's wrong clock, or one changed mid-payment, moves no countdown.

export interface ServerClock {
  /** Server time in epoch ms, now. */
  now(): number;
  /** A server timestamp, asked at `sentAt` and received at `receivedAt` on the monotonic clock. */
  sync(serverTime: string, sentAt: number, receivedAt: number): void;
}

export function createServerClock(monotonic: () => number): ServerClock {
  let serverAtSync = Number.NaN;
  let localAtSync = 0;
  let bestRoundTrip = Number.POSITIVE_INFINITY;
  let syncedAt = Number.NEGATIVE_INFINITY;
  return {
    now: () => serverAtSync + (monotonic() - localAtSync),
    sync(serverTime, sentAt, receivedAt) {
      const server = Date.parse(serverTime);
      if (Number.isNaN(server)) return;
      const roundTrip = Math.max(0, receivedAt - sentAt);
      // A slow answer says less about the time than a fast one: keep the best of the last minute.
      if (roundTrip > bestRoundTrip && receivedAt - syncedAt < 60_000) return;
      bestRoundTrip = roundTrip;
      syncedAt = receivedAt;
      serverAtSync = server + roundTrip / 2;
      localAtSync = receivedAt;
    },
  };
}
