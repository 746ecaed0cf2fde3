import { describe, expect, it } from 'vitest';
import { fakeWindow } from './in-app/testing.ts';
import { collectEvidence, evidenceWhenReady } from './terminal-evidence.ts';

const WECHAT_IOS = 'Mozilla/5.0 (iPhone; CPU iPhone OS 13_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/7.0.12(0x17000c2d) NetType/WIFI Language/zh_CN';

describe('the page’s own evidence', () => {
  it('finds the merchant app by its bridge, with the SDK channels it says it has (known ids only)', () => {
    const { win, globals } = fakeWindow();
    globals.CashierAppBridge = { postMessage() {}, channels: ['wechatpay', 'unionpay', 'nonsense'] };
    expect(collectEvidence(win)).toMatchObject({ hasAppBridge: true, appChannels: ['wechatpay', 'unionpay'] });
    // An Android interface answers through a method, as a comma-separated string.
    globals.CashierAppBridge = { postMessage() {}, channels: () => 'alipay,wechatpay' };
    expect(collectEvidence(win).appChannels).toEqual(['alipay', 'wechatpay']);
  });

  it('finds the merchant app by its user-agent token alone', () => {
    expect(collectEvidence(fakeWindow('Mozilla/5.0 (Linux; Android 14) CashierApp/2.3').win).hasAppBridge).toBe(true);
    expect(collectEvidence(fakeWindow('Mozilla/5.0 (Linux; Android 14)').win).hasAppBridge).toBe(false);
  });

  it('inside WeChat, waits for the bridge before saying whether this is a mini-program', async () => {
    const { win, globals, fireOnDocument } = fakeWindow(WECHAT_IOS);
    const evidence = evidenceWhenReady(win, new AbortController().signal);
    globals.__wxjs_environment = 'miniprogram';
    globals.WeixinJSBridge = { invoke() {} };
    fireOnDocument('WeixinJSBridgeReady');
    expect(await evidence).toMatchObject({ wxjsEnvironment: 'miniprogram', hasWeixinBridge: true });
  });

  it('outside WeChat, or with the bridge already there, does not wait', async () => {
    const started = Date.now();
    await evidenceWhenReady(fakeWindow('Mozilla/5.0 (iPhone) Safari/604.1').win, new AbortController().signal);
    const inWeChat = fakeWindow(WECHAT_IOS);
    inWeChat.globals.WeixinJSBridge = {};
    await evidenceWhenReady(inWeChat.win, new AbortController().signal);
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('gives up waiting after a second (a page in WeChat’s user agent without its bridge)', async () => {
    const started = Date.now();
    const evidence = await evidenceWhenReady(fakeWindow(WECHAT_IOS).win, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(evidence.wxjsEnvironment).toBeUndefined();
  });
});
