import { describe, expect, it } from 'vitest';
import { fakeWindow } from '../in-app/testing.ts';
import { payInApp, parseReply, sheetResult } from './index.ts';

const REQUEST = { channel: 'unionpay', sdkParams: { tn: '622100000001' }, orderId: 'ord_1' } as const;

describe('the merchant app bridge', () => {
  it('posts one cashier:pay message with the SDK parameters, and takes the reply through __cashierAppReply', async () => {
    const { win, globals } = fakeWindow('Mozilla/5.0 CashierApp/1.0');
    const sent: string[] = [];
    globals.CashierAppBridge = { postMessage: (message: string) => sent.push(message) };
    const result = payInApp(win, REQUEST, new AbortController().signal);
    await Promise.resolve();
    await Promise.resolve();
    const message = JSON.parse(sent[0] ?? '{}') as Record<string, unknown>;
    expect(message).toMatchObject({ type: 'cashier:pay', version: 1, channel: 'unionpay', orderId: 'ord_1', sdkParams: { tn: '622100000001' } });
    expect(message.requestId).toMatch(/^req_/);
    const reply = globals.__cashierAppReply as (reply: unknown) => void;
    // A reply to another request (another widget's) is not this one's.
    reply({ requestId: 'req_other', result: 'success' });
    reply(JSON.stringify({ requestId: message.requestId, result: 'cancel', raw: { resultCode: 'cancel' } }));
    expect(await result).toEqual({ outcome: 'cancelled' });
  });

  it('also hears the reply posted to the page as a message', async () => {
    const { win, globals } = fakeWindow();
    let requestId = '';
    globals.CashierAppBridge = { postMessage: (message: string) => (requestId = (JSON.parse(message) as { requestId: string }).requestId) };
    const result = payInApp(win, REQUEST, new AbortController().signal);
    await Promise.resolve();
    await Promise.resolve();
    win.dispatchEvent(Object.assign(new Event('message'), { source: win, data: { type: 'cashier:pay-result', requestId, result: 'success' } }));
    expect(await result).toEqual({ outcome: 'paid' });
  });

  it('falls back to an iOS message handler of the same name', async () => {
    const { win, globals } = fakeWindow();
    const sent: string[] = [];
    globals.webkit = { messageHandlers: { CashierAppBridge: { postMessage: (message: string) => sent.push(message) } } };
    const controller = new AbortController();
    const result = payInApp(win, REQUEST, controller.signal).catch((error: unknown) => (error as Error).name);
    await Promise.resolve();
    expect(sent).toHaveLength(1);
    controller.abort();
    expect(await result).toBe('AbortError');
  });

  it('reads the SDK result words of the protocol, and nothing else as a reply', () => {
    expect(sheetResult('success')).toEqual({ outcome: 'paid' });
    expect(sheetResult('unknown')).toEqual({ outcome: 'unknown' });
    expect(sheetResult('cancel')).toEqual({ outcome: 'cancelled' });
    expect(sheetResult('fail')).toEqual({ outcome: 'failed', code: 'app:fail' });
    expect(parseReply('not json')).toBeUndefined();
    expect(parseReply({ type: 'other', requestId: 'r', result: 'success' })).toBeUndefined();
    expect(parseReply({ requestId: 7, result: 'success' })).toBeUndefined();
  });
});
