import { describe, expect, it } from 'vitest';
import { HealthBoard } from './index.ts';

function board() {
  let now = 0;
  const health = new HealthBoard({ now: () => now, minCalls: 10, windowMs: 60_000, coolDownMs: 30_000, consecutive: 5 });
  return { health, advance: (ms: number) => (now += ms) };
}

describe('channel health', () => {
  it('is up until the channel fails', () => {
    const { health } = board();
    expect(health.state('alipay')).toBe('up');
    for (let i = 0; i < 20; i++) health.record('alipay', 'ok');
    expect(health.state('alipay')).toBe('up');
  });

  it('opens after five failures in a row, half-opens after the cool-down, and closes on a success', () => {
    const { health, advance } = board();
    for (let i = 0; i < 4; i++) health.record('wechatpay', 'timeout');
    expect(health.state('wechatpay')).not.toBe('down');
    health.record('wechatpay', 'error');
    expect(health.state('wechatpay')).toBe('down');
    expect(health.snapshot()).toEqual({ wechatpay: 'down' });
    advance(30_000);
    expect(health.state('wechatpay')).toBe('degraded');
    health.record('wechatpay', 'ok');
    advance(61_000);
    expect(health.state('wechatpay')).toBe('up');
  });

  it('is degraded by a high error rate, down past half, and forgets old calls', () => {
    const { health, advance } = board();
    for (let i = 0; i < 8; i++) health.record('unionpay', 'ok');
    for (let i = 0; i < 3; i++) {
      health.record('unionpay', 'error');
      health.record('unionpay', 'ok');
    }
    expect(health.state('unionpay')).toBe('degraded');
    // 34 calls, 19 failing (56 %), never five in a row: down on the rate alone.
    for (let i = 0; i < 20; i++) {
      health.record('unionpay', i % 5 === 0 ? 'ok' : 'error');
    }
    expect(health.state('unionpay')).toBe('down');
    advance(120_000);
    expect(health.state('unionpay')).toBe('degraded');
  });
});
