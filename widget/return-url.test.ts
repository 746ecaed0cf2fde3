import { describe, expect, it } from 'vitest';
import { defaultReturnUrl, readResume, resumeUrl } from './return-url.ts';

describe('the default return URL', () => {
  it('is the page without its fragment', () => {
    expect(defaultReturnUrl('https://shop.example/pay?session=cs_1#top')).toBe('https://shop.example/pay?session=cs_1');
  });

  it('drops the parameters Alipay’s sync return added, keeping the merchant’s own', () => {
    const back =
      'https://shop.example/pay?session=cs_1&charset=utf-8&out_trade_no=A1&method=alipay.trade.wap.pay.return&total_amount=1.00&trade_no=2026&auth_app_id=1&version=1.0&app_id=1&sign_type=RSA2&seller_id=2&timestamp=2026-11-27+10%3A00%3A00&sign=abc%3D';
    expect(defaultReturnUrl(back)).toBe('https://shop.example/pay?session=cs_1');
    // A merchant's own `method` parameter without Alipay's signature stays.
    expect(defaultReturnUrl('https://shop.example/pay?method=card')).toBe('https://shop.example/pay?method=card');
  });
});

describe('resuming after WeChat sign-in', () => {
  it('names the order and option on the way out, reads them and the outcome on the way back', () => {
    const out = resumeUrl('https://shop.example/pay?session=cs_1', 'ord_ABC', 'wechatpay:jsapi');
    expect(out).toBe('https://shop.example/pay?session=cs_1&cashier_resume=ord_ABC.wechatpay%3Ajsapi');
    expect(readResume(`${out}&cashier_oauth=ok`)).toEqual({ orderId: 'ord_ABC', optionId: 'wechatpay:jsapi', oauth: 'ok' });
    expect(readResume(`${out}&cashier_oauth=denied`)?.oauth).toBe('denied');
    expect(readResume(out)).toBeUndefined();
    expect(readResume(`${out}&cashier_oauth=maybe`)).toBeUndefined();
  });

  it('never sends the markers back out as part of a return URL', () => {
    expect(defaultReturnUrl('https://shop.example/pay?session=cs_1&cashier_resume=ord_1.x&cashier_oauth=ok')).toBe('https://shop.example/pay?session=cs_1');
  });
});
