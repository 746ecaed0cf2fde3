import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './index.ts';

const body = '{"id":"evt_1","type":"order.succeeded"}';
const at = new Date('2026-11-27T10:00:00Z');
const t = at.getTime() / 1000;

describe('merchant webhook signatures', () => {
  it('signs t.body with HMAC-SHA256, hex, as documented', async () => {
    const header = await signWebhook(body, ['whsec_one'], t);
    const expected = createHmac('sha256', 'whsec_one').update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies, and accepts either secret while two overlap during rotation', async () => {
    const header = await signWebhook(body, ['whsec_new', 'whsec_old'], t);
    expect(await verifyWebhook(body, header, ['whsec_new'], at)).toEqual({ ok: true, timestamp: t });
    expect(await verifyWebhook(body, header, ['whsec_old'], at)).toEqual({ ok: true, timestamp: t });
    expect(await verifyWebhook(body, header, ['whsec_other'], at)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a changed body, a timestamp older than five minutes, and malformed headers', async () => {
    const header = await signWebhook(body, ['whsec_one'], t);
    expect(await verifyWebhook(`${body} `, header, ['whsec_one'], at)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(await verifyWebhook(body, header, ['whsec_one'], new Date(at.getTime() + 301_000))).toMatchObject({ reason: 'stale' });
    expect(await verifyWebhook(body, header, ['whsec_one'], new Date(at.getTime() + 299_000))).toMatchObject({ ok: true });
    const resigned = header.replace(`t=${t}`, `t=${t + 1}`);
    expect(await verifyWebhook(body, resigned, ['whsec_one'], at)).toMatchObject({ reason: 'bad-signature' });
    for (const bad of [undefined, '', 'v1=abc', `t=${t}`, `t=x,v1=${'0'.repeat(64)}`]) {
      expect(await verifyWebhook(body, bad, ['whsec_one'], at)).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });
});
