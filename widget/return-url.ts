// Where a channel's page sends the customer back: the merchant's page as it is, minus the fragment and minus the
// parameters Alipay's sync return appended last time (channel-protocols.md §2.3; demo/sandbox/alipay/notify.ts
// returnParams), so paying again does not grow the URL past the BFF's 1000-character limit.

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

export function defaultReturnUrl(href: string): string {
  const url = new URL(href);
  url.hash = '';
  const params = url.searchParams;
  if (params.has('sign') && /^alipay\.trade\.[a-z.]+\.return$/.test(params.get('method') ?? '')) {
    for (const name of ALIPAY_RETURN_PARAMS) params.delete(name);
  }
  return url.toString();
}
