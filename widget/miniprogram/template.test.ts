import { describe, expect, it } from 'vitest';
import { openPayPage, type MiniProgramWx } from './testing.ts';

const PARAMETERS = { timeStamp: '1700000000', nonceStr: 'n1', package: 'prepay_id=wx2', signType: 'RSA', paySign: 'c2ln' };

/** A mini-program's wx whose BFF answers and pay sheet the test scripts. */
function wxWith(options: { sheet?: string; pay?: { statusCode: number; data: unknown } } = {}) {
  const calls: unknown[] = [];
  const wx: MiniProgramWx = {
    login: ({ success }) => {
      calls.push('login');
      success?.({ code: 'code_123', errMsg: 'login:ok' });
    },
    request: ({ url, method, header, data, success }) => {
      calls.push({ url, method, authorization: header.authorization, data });
      const answer = url.endsWith('/pay') ? (options.pay ?? { statusCode: 201, data: { attemptId: 'att_1', action: { kind: 'miniprogram', path: '/pages/cashier/pay', parameters: PARAMETERS } } }) : { statusCode: 200, data: { ok: true } };
      success?.(answer);
    },
    requestPayment: ({ success, fail, ...parameters }) => {
      calls.push({ requestPayment: parameters });
      const errMsg = options.sheet ?? 'requestPayment:ok';
      if (errMsg === 'requestPayment:ok') success?.({ errMsg });
      else fail?.({ errMsg });
    },
    navigateBack: () => void calls.push('navigateBack'),
  };
  return { wx, calls };
}

const QUERY = 'session=cs_token_123456&optionId=wechatpay%3Aminiprogram&orderId=ord_1';

describe('the mini-program pay page template', () => {
  it('signs in with wx.login, asks the BFF for the parameters, pays with them as they are, and goes back', async () => {
    const { wx, calls } = wxWith();
    const { settled } = openPayPage(wx, QUERY, { cashierBff: 'https://pay.example' });
    await settled;
    expect(calls).toEqual([
      'login',
      { url: 'https://pay.example/cashier/v1/wechat/miniprogram/login', method: 'POST', authorization: 'Bearer cs_token_123456', data: { code: 'code_123' } },
      {
        url: 'https://pay.example/cashier/v1/pay',
        method: 'POST',
        authorization: 'Bearer cs_token_123456',
        data: { optionId: 'wechatpay:miniprogram', evidence: { wxjsEnvironment: 'miniprogram' } },
      },
      { requestPayment: PARAMETERS },
      'navigateBack',
    ]);
  });

  it('a customer who cancels goes straight back; a failed payment stays to be tried again', async () => {
    const cancelled = wxWith({ sheet: 'requestPayment:fail cancel' });
    await openPayPage(cancelled.wx, QUERY, { cashierBff: 'https://pay.example' }).settled;
    expect(cancelled.calls.at(-1)).toBe('navigateBack');

    const failed = wxWith({ sheet: 'requestPayment:fail' });
    const { page, settled } = openPayPage(failed.wx, QUERY, { cashierBff: 'https://pay.example' });
    await settled;
    expect(failed.calls).not.toContain('navigateBack');
    expect(page.data.state).toBe('failed');
  });

  it('says why when the BFF refuses, and pays nothing', async () => {
    const { wx, calls } = wxWith({ pay: { statusCode: 409, data: { error: { code: 'order_not_payable', message: 'paid already' } } } });
    const { page, settled } = openPayPage(wx, QUERY, { cashierBff: 'https://pay.example' });
    await settled;
    expect(page.data).toMatchObject({ state: 'failed' });
    expect(page.data.message).toContain('order_not_payable');
    expect(calls.some((call) => typeof call === 'object' && call !== null && 'requestPayment' in call)).toBe(false);
  });

  it('an incomplete link asks nothing of anyone', async () => {
    const { wx, calls } = wxWith();
    const { page } = openPayPage(wx, 'optionId=wechatpay%3Aminiprogram', { cashierBff: 'https://pay.example' });
    expect(page.data.state).toBe('failed');
    expect(calls).toEqual([]);
  });
});
