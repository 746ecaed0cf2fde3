// Where a channel's page sends the customer back: the merchant's page as it is, minus the fragment and minus the
// parameters Alipay's sync return appended last time (channel-protocols.md §2.3; demo/sandbox/alipay/notify.ts
// returnParams), so paying again does not grow the URL past the BFF's 1000-character limit. Also the two the
// widget's WeChat sign-in adds: which option to resume, and how the sign-in went (bff/routes/wechat-oauth.ts).

const ALIPAY_RETURN_PARAMS = [
  'charset',
  'out_trade_no',
  'method',
  'total_amount',
  'trade_no',
  'auth_app_id',
  'version',
  'app_id',
  'sign_type',
  'sign',
  'seller_id',
  'timestamp',
];

/** Added by the widget before WeChat sign-in: `<order id>.<option id>`, the payment to go on with once back. */
export const RESUME_PARAM = 'cashier_resume';
/** Added by the BFF after WeChat sign-in: ok, denied or failed. */
export const OAUTH_PARAM = 'cashier_oauth';

export interface Resume {
  readonly orderId: string;
  readonly optionId: string;
  readonly oauth: 'ok' | 'denied' | 'failed';
}

export function defaultReturnUrl(href: string): string {
  const url = new URL(href);
  url.hash = '';
  const params = url.searchParams;
  if (params.has('sign') && /^alipay\.trade\.[a-z.]+\.return$/.test(params.get('method') ?? '')) {
    for (const name of ALIPAY_RETURN_PARAMS) params.delete(name);
  }
  params.delete(RESUME_PARAM);
  params.delete(OAUTH_PARAM);
  return url.toString();
}

/** The page to come back to after WeChat sign-in, naming the payment to resume. */
export function resumeUrl(returnUrl: string, orderId: string, optionId: string): string {
  const url = new URL(returnUrl);
  url.searchParams.set(RESUME_PARAM, `${orderId}.${optionId}`);
  return url.toString();
}

/** Back from WeChat sign-in: which payment to resume and how the sign-in went; undefined on any other visit. */
export function readResume(href: string): Resume | undefined {
  const params = new URL(href).searchParams;
  const oauth = params.get(OAUTH_PARAM);
  const [, orderId, optionId] = /^([^.]+)\.(.+)$/.exec(params.get(RESUME_PARAM) ?? '') ?? [];
  if (!orderId || !optionId || (oauth !== 'ok' && oauth !== 'denied' && oauth !== 'failed')) return undefined;
  return { orderId, optionId, oauth };
}
