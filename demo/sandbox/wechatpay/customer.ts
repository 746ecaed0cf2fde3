// What the customer sees and does at "WeChat": the page behind a Native code_url, the H5 pay page behind h5_url,
// and stand-ins for the WeChat client's pay sheets (WeixinJSBridge getBrandWCPayRequest, wx.requestPayment, the
// OpenSDK PayReq), which check the merchant's invoke signature as the client would (channel-protocols.md §1.6).

import { Hono } from 'hono';
import { invokeMessage, verify } from '../../../bff/channels/wechatpay/crypto.ts';
import type { OrderBook, SandboxOrder } from '../order-book.ts';
import { customerButtons, formatFen, html, page, type Html } from '../pages.ts';
import type { WechatpayEnv } from './protocol.ts';
import { findByDetail } from './transactions.ts';

export type Outcome = 'pay' | 'fail' | 'abandon';

/** What the customer's choice does; the sandbox's pay/fail/abandon, shared with the control page. */
export interface Actions {
  readonly pay: (order: SandboxOrder) => Promise<boolean>;
  readonly fail: (order: SandboxOrder) => Promise<boolean>;
}

/** A prepay_id lives 2 hours whatever time_expire says (§1.6); the client refuses an older one. */
const PREPAY_VALIDITY_MS = 2 * 3_600_000;
/** h5_url is valid for 5 minutes (§1.6). */
const H5_URL_VALIDITY_MS = 5 * 60_000;

export const PAGE_PATHS = {
  scan: '/pay/wechatpay/bizpayurl',
  h5: '/pay/wechatpay/h5',
} as const;

function isOutcome(value: unknown): value is Outcome {
  return value === 'pay' || value === 'fail' || value === 'abandon';
}

function orderCard(env: WechatpayEnv, order: SandboxOrder, body: Html): Html {
  return html`<h1>微信支付 WeChat Pay</h1>
<div class="card">
<p>商户号 ${env.secrets.mchid}</p>
<p class="amount">${formatFen(order.amount)}</p>
<p>${order.description}</p>
<p><small>商户订单号 <code>${order.key}</code></small></p>
${body}
</div>`;
}

const STATUS_TEXT: Record<SandboxOrder['status'], string> = {
  pending: '待支付',
  paid: '支付成功',
  failed: '支付失败',
  closed: '订单已关闭',
};

function statusLine(order: SandboxOrder): Html {
  return html`<p><strong>${STATUS_TEXT[order.status]}</strong></p>`;
}

async function apply(actions: Actions, order: SandboxOrder, outcome: Outcome): Promise<void> {
  if (outcome === 'pay') await actions.pay(order);
  else if (outcome === 'fail') await actions.fail(order);
  // Abandoning changes nothing: the order stays NOTPAY until it expires.
}

function safeRedirect(value: unknown): string | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined;
  return ['http:', 'https:'].includes(new URL(value).protocol) ? value : undefined;
}

export function customerApp(env: WechatpayEnv, orders: OrderBook, actions: Actions): Hono {
  const now = () => env.clock.now().getTime();

  return (
    new Hono()
      // The page a phone opens after scanning the QR. Real code_urls are weixin://wxpay/bizpayurl?pr=… and open
      // only in WeChat; the sandbox's are http URLs of this page (the one deliberate deviation, see index.ts).
      .get(PAGE_PATHS.scan, (c) => {
        const order = findByDetail(orders, env, 'pr', c.req.query('pr') ?? '');
        if (!order) return c.html(page('微信支付', html`<h1>二维码已失效</h1>`), 404);
        const body = order.status === 'pending' ? customerButtons(`${PAGE_PATHS.scan}?pr=${order.details.pr ?? ''}`) : statusLine(order);
        return c.html(page('微信支付', orderCard(env, order, body)));
      })
      .post(PAGE_PATHS.scan, async (c) => {
        const order = findByDetail(orders, env, 'pr', c.req.query('pr') ?? '');
        if (!order) return c.html(page('微信支付', html`<h1>二维码已失效</h1>`), 404);
        const { outcome } = await c.req.parseBody();
        if (!isOutcome(outcome)) return c.html(page('微信支付', html`<h1>请选择操作</h1>`), 400);
        if (order.status === 'pending') await apply(actions, order, outcome);
        return c.html(page('微信支付', orderCard(env, order, statusLine(order))));
      })
      // H5 (MWEB): h5_url plus the merchant's `&redirect_url=`, where WeChat sends the customer back after paying
      // or cancelling (the merchant then queries: coming back says nothing about the result).
      .get(PAGE_PATHS.h5, (c) => {
        const order = findByDetail(orders, env, 'prepayId', c.req.query('prepay_id') ?? '');
        if (!order || order.details.tradeType !== 'MWEB') return c.html(page('微信支付', html`<h1>订单不存在</h1>`), 404);
        const issued = Number(c.req.query('package')) * 1000;
        if (!Number.isFinite(issued) || now() - issued > H5_URL_VALIDITY_MS) {
          return c.html(page('微信支付', orderCard(env, order, html`<p><strong>链接已失效，请返回商户重新发起支付</strong></p>`)), 410);
        }
        const redirect = safeRedirect(c.req.query('redirect_url'));
        const body =
          order.status === 'pending'
            ? customerButtons(PAGE_PATHS.h5, { prepay_id: order.details.prepayId ?? '', ...(redirect ? { redirect_url: redirect } : {}) })
            : statusLine(order);
        return c.html(page('微信支付', orderCard(env, order, body)));
      })
      .post(PAGE_PATHS.h5, async (c) => {
        const form = await c.req.parseBody();
        const order = findByDetail(orders, env, 'prepayId', typeof form.prepay_id === 'string' ? form.prepay_id : '');
        if (!order || order.details.tradeType !== 'MWEB') return c.html(page('微信支付', html`<h1>订单不存在</h1>`), 404);
        if (!isOutcome(form.outcome)) return c.html(page('微信支付', html`<h1>请选择操作</h1>`), 400);
        if (order.status === 'pending') await apply(actions, order, form.outcome);
        const redirect = safeRedirect(form.redirect_url);
        if (redirect) return c.redirect(redirect, 303);
        return c.html(page('微信支付', orderCard(env, order, statusLine(order))));
      })
      // Stand-ins for the WeChat client. A page in WeChat calls WeixinJSBridge.invoke('getBrandWCPayRequest', …), a
      // mini-program wx.requestPayment(…), an app the OpenSDK's PayReq; the widget tests POST the same parameters
      // here and get the client's answer back: the sheet checks paySign with the merchant's public key over
      // appId\ntimeStamp\nnonceStr\npackage\n (the bare prepay id on line 4 for APP), then the customer pays.
      .post('/pay/wechatpay/jsapi', async (c) => {
        const params = await jsonObject(c.req.raw);
        const order = prepayOrder(orders, env, packagePrepayId(params.package));
        const result = await invoke(env, actions, order, params, {
          appId: params.appId,
          timeStamp: params.timeStamp,
          nonceStr: params.nonceStr,
          line4: params.package,
          signature: params.paySign,
          signType: params.signType,
          product: 'jsapi',
        });
        return c.json({ err_msg: `get_brand_wcpay_request:${result}` });
      })
      .post('/pay/wechatpay/miniprogram', async (c) => {
        const params = await jsonObject(c.req.raw);
        const order = prepayOrder(orders, env, packagePrepayId(params.package));
        // wx.requestPayment takes no appId: the client signs with the appid the prepay was made for (§1.6).
        const result = await invoke(env, actions, order, params, {
          appId: order?.details.appid,
          timeStamp: params.timeStamp,
          nonceStr: params.nonceStr,
          line4: params.package,
          signature: params.paySign,
          signType: params.signType,
          product: 'miniprogram',
        });
        return c.json({ errMsg: result === 'ok' ? 'requestPayment:ok' : result === 'cancel' ? 'requestPayment:fail cancel' : 'requestPayment:fail' });
      })
      .post('/pay/wechatpay/app', async (c) => {
        const params = await jsonObject(c.req.raw);
        const order = prepayOrder(orders, env, typeof params.prepayid === 'string' ? params.prepayid : undefined);
        const partnerOk = params.partnerid === env.secrets.mchid && params.package === 'Sign=WXPay';
        const result = await invoke(env, actions, partnerOk ? order : undefined, params, {
          appId: params.appid,
          timeStamp: params.timestamp,
          nonceStr: params.noncestr,
          line4: params.prepayid,
          signature: params.sign,
          signType: 'RSA',
          product: 'app',
        });
        // OpenSDK BaseResp.errCode: 0 paid, -1 error, -2 cancelled by the user.
        return c.json({ errCode: result === 'ok' ? 0 : result === 'cancel' ? -2 : -1 });
      })
  );
}

function prepayOrder(orders: OrderBook, env: WechatpayEnv, prepayId: string | undefined): SandboxOrder | undefined {
  return prepayId === undefined ? undefined : findByDetail(orders, env, 'prepayId', prepayId);
}

async function jsonObject(request: Request): Promise<Record<string, unknown>> {
  try {
    const value: unknown = await request.json();
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function packagePrepayId(pkg: unknown): string | undefined {
  return typeof pkg === 'string' && pkg.startsWith('prepay_id=') ? pkg.slice('prepay_id='.length) : undefined;
}

interface Invocation {
  readonly appId: unknown;
  readonly timeStamp: unknown;
  readonly nonceStr: unknown;
  readonly line4: unknown;
  readonly signature: unknown;
  readonly signType: unknown;
  readonly product: 'jsapi' | 'miniprogram' | 'app';
}

/** The client's checks, then the customer's choice: 'ok' once paid, 'cancel', or 'fail' for anything wrong. */
async function invoke(
  env: WechatpayEnv,
  actions: Actions,
  order: SandboxOrder | undefined,
  params: Record<string, unknown>,
  call: Invocation,
): Promise<'ok' | 'cancel' | 'fail'> {
  if (order === undefined || order.status !== 'pending' || order.product !== call.product) return 'fail';
  if (env.clock.now().getTime() - Date.parse(order.createdAt) > PREPAY_VALIDITY_MS) return 'fail';
  const { appId, timeStamp, nonceStr, line4, signature, signType } = call;
  if (
    typeof appId !== 'string' ||
    appId !== order.details.appid ||
    signType !== 'RSA' ||
    typeof timeStamp !== 'string' ||
    typeof nonceStr !== 'string' ||
    typeof line4 !== 'string' ||
    typeof signature !== 'string' ||
    !verify(invokeMessage(appId, timeStamp, nonceStr, line4), signature, env.merchantPublicKey)
  ) {
    return 'fail';
  }
  if (params.cancel === true) return 'cancel';
  return (await actions.pay(order)) ? 'ok' : 'fail';
}
