// A merchant app, played in the browser, for the widget's app bridge (widget/app-bridge/README.md): the user script
// an app injects into its web view (bridge.js, with its "App SDK" sheet) and the app's native side, which here is
// this server calling the sandbox's SDK stand-ins (/pay/wechatpay/app, /pay/alipay/app, /pay/unionpay/app) the way
// the channels' SDKs would talk to their wallets. The shop page loads bridge.js in app mode
// (/widget-test.html?app=1); /app-host/ says how to try it.

import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import * as v from 'valibot';

export interface AppHostOptions {
  readonly sandboxUrl: string;
}

const BRIDGE = readFileSync(new URL('./bridge.js', import.meta.url), 'utf8');

const SdkRequestSchema = v.object({
  sdkParams: v.union([v.record(v.string(), v.string()), v.string()]),
  choice: v.picklist(['pay', 'cancel', 'fail']),
});
type SdkRequest = v.InferOutput<typeof SdkRequestSchema>;

export type SdkResult = 'success' | 'cancel' | 'fail' | 'unknown';

/** Each SDK: what the app sends the wallet, and how its answer reads in the bridge's words. */
const SDKS: Record<string, (sandbox: string, request: SdkRequest) => Promise<{ result: SdkResult; raw: unknown }>> = {
  // OpenSDK PayReq; BaseResp.errCode 0 paid, -2 cancelled, -1 anything else (demo/sandbox/wechatpay/customer.ts).
  async wechatpay(sandbox, { sdkParams, choice }) {
    if (typeof sdkParams === 'string') return { result: 'fail', raw: 'PayReq needs fields' };
    // The SDK failing: a request the wallet refuses (its signature no longer matches).
    const params = choice === 'fail' ? { ...sdkParams, sign: 'broken' } : sdkParams;
    const raw = (await post(`${sandbox}/pay/wechatpay/app`, { ...params, cancel: choice === 'cancel' })) as { errCode?: number };
    return { result: raw.errCode === 0 ? 'success' : raw.errCode === -2 ? 'cancel' : 'fail', raw };
  },
  // App SDK payV2(orderString); resultStatus 9000 paid, 6001 cancelled, 8000/6004 unsure (demo/sandbox/alipay/client.ts).
  async alipay(sandbox, { sdkParams, choice }) {
    if (typeof sdkParams !== 'string') return { result: 'fail', raw: 'the App SDK takes an order string' };
    const orderString = choice === 'fail' ? sdkParams.replace(/(^|&)sign=[^&]*/, '$1sign=broken') : sdkParams;
    const raw = (await post(`${sandbox}/pay/alipay/app`, { orderString, cancel: choice === 'cancel' })) as { resultStatus?: string };
    const status = raw.resultStatus;
    return { result: status === '9000' ? 'success' : status === '6001' ? 'cancel' : status === '8000' || status === '6004' ? 'unknown' : 'fail', raw };
  },
  // UPPayControl startPay(tn); pay_result success / fail / cancel (demo/sandbox/unionpay/index.ts).
  async unionpay(sandbox, { sdkParams, choice }) {
    if (typeof sdkParams === 'string' || !sdkParams.tn) return { result: 'fail', raw: 'startPay needs a tn' };
    const raw = (await post(`${sandbox}/pay/unionpay/app`, { tn: sdkParams.tn, cancel: choice === 'cancel', fail: choice === 'fail' })) as { resultCode?: string };
    return { result: raw.resultCode === 'success' ? 'success' : raw.resultCode === 'cancel' ? 'cancel' : 'fail', raw };
  },
};

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

export function appHostApp(options: AppHostOptions) {
  return new Hono()
    .get('/app-host/bridge.js', (c) => c.body(BRIDGE, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' }))
    .post('/app-host/sdk/:channel', async (c) => {
      const sdk = SDKS[c.req.param('channel')];
      const parsed = v.safeParse(SdkRequestSchema, await c.req.json().catch(() => undefined));
      if (!sdk || !parsed.success) return c.json({ result: 'fail', raw: 'not a request this app’s SDKs take' }, 400);
      try {
        return c.json(await sdk(options.sandboxUrl, parsed.output));
      } catch (error) {
        return c.json({ result: 'fail', raw: String(error) }, 502);
      }
    })
    .get('/app-host/', (c) =>
      c.html(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Demo merchant app</title></head>
<body>
<main>
<h1>The demo merchant app</h1>
<p>The shop’s checkout as the merchant’s own app shows it: the app injects <code>window.CashierAppBridge</code> into its
web view (<a href="/app-host/bridge.js">bridge.js</a>), the widget offers the channels’ app products and hands their SDK
parameters to the app, and an “App SDK” sheet plays the SDK, paying through the channel sandbox. The protocol is in
<code>widget/app-bridge/README.md</code>.</p>
<p><a href="/widget-test.html?app=1">Open the checkout in the app</a> (best with a phone’s user agent).</p>
</main>
</body>
</html>`),
    );
}
