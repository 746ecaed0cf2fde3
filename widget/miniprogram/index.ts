// Inside a WeChat mini-program's web-view, a chunk of its own: WeChat Pay happens on a native page of the
// mini-program (wx.requestPayment exists only there), so the widget opens that page over itself with
// wx.miniProgram.navigateTo and waits to be shown again (the page's navigateBack). The page is the template beside
// this file (template/, with its README). wx.miniProgram comes from WeChat's JS-SDK, which the merchant's page loads
// (jweixin 1.3.2+; web-view doc: developers.weixin.qq.com/miniprogram/dev/component/web-view.html — navigateTo takes
// the same parameters as the mini-program's own wx.navigateTo: url, success, fail).

import type { MiniProgramModule } from '../in-app/types.ts';
import { WidgetError } from '../in-app/runtime.ts';

interface MiniProgramBridge {
  navigateTo(options: { url: string; success?: () => void; fail?: (result?: { errMsg?: string }) => void }): void;
}

/** Some SDK versions never call back: once this long has passed with no failure, the page is taken as opened. */
const CALLBACK_WAIT_MS = 3000;

export const openPayPage: MiniProgramModule['openPayPage'] = (win, url) => {
  const bridge = (win as unknown as { wx?: { miniProgram?: Partial<MiniProgramBridge> } }).wx?.miniProgram;
  if (typeof bridge?.navigateTo !== 'function') {
    return Promise.reject(new WidgetError('bridge_unavailable', 'wx.miniProgram is missing: load WeChat’s JS-SDK (jweixin 1.3.2 or later) on the page'));
  }
  const navigateTo = bridge.navigateTo.bind(bridge);
  return new Promise<void>((resolve, reject) => {
    const timer = win.setTimeout(resolve, CALLBACK_WAIT_MS);
    navigateTo({
      url,
      success: () => {
        win.clearTimeout(timer);
        resolve();
      },
      fail: (result) => {
        win.clearTimeout(timer);
        reject(new WidgetError('bridge_unavailable', `wx.miniProgram.navigateTo failed: ${String(result?.errMsg ?? '')}`));
      },
    });
  });
};
