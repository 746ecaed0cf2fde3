import { describe, expect, it } from 'vitest';
import { createServerClock } from './server-clock.ts';

describe('the server clock', () => {
  it('is the server’s time plus monotonic time since, corrected by half the round trip', () => {
    let local = 5000;
    const clock = createServerClock(() => local);
    clock.sync('2026-11-27T10:00:00.000Z', 4800, 5000);
    expect(clock.now()).toBe(Date.parse('2026-11-27T10:00:00.100Z'));
    local += 60_000;
    expect(clock.now()).toBe(Date.parse('2026-11-27T10:01:00.100Z'));
  });

  it('keeps a fast answer over a slower one within a minute', () => {
    let local = 0;
    const clock = createServerClock(() => local);
    clock.sync('2026-11-27T10:00:00.000Z', 0, 20);
    local = 1000;
    clock.sync('2026-11-27T10:00:05.000Z', 0, 1000); // 1 s round trip: a poor measurement
    expect(clock.now()).toBe(Date.parse('2026-11-27T10:00:00.000Z') + 10 + 980);
    local = 70_000;
    clock.sync('2026-11-27T10:02:00.000Z', 69_000, 70_000);
    expect(clock.now()).toBe(Date.parse('2026-11-27T10:02:00.500Z'));
  });
});
