// The demo's reconciliation pages: each channel's reconciled days and the discrepancies of a day, read on the server
// side (no token reaches the browser), with a form to resolve an item and one to reconcile a day now. Two views of
// the same routes: the merchant's (the shop's /reconciliation, with its secret key: its own orders' items) and the
// operator's (/ops/reconciliation, with the operator token: every item, bill lines of no order included). Plain HTML,
// no scripts, every value escaped.

import { Hono, type Context } from 'hono';
import { formatBeijingTime } from '../../shared/channels/beijing-time.ts';
import { formatYuan } from '../../shared/money/index.ts';
import { html, type Html } from '../sandbox/pages.ts';

export interface ReconciliationPageOptions {
  readonly bffUrl: string;
  /** Where the page lives on the page server; the forms post below it. Default `/reconciliation`. */
  readonly path?: string;
  /** `merchant`: the merchant API (/v1) with `token` the secret key; `operator`: the operator API (/ops/v1). */
  readonly scope?: 'merchant' | 'operator';
  /** The bearer for reading and resolving; read per request, so that a reset data directory is picked up. */
  readonly token?: () => string | undefined;
  /**
   * The operator token, which alone may run a day now (`POST /ops/v1/…/run`; the merchant API has no such call and
   * the BFF runs each day by itself when the bill is out). Without it the form is not shown.
   */
  readonly operatorToken: () => string | undefined;
  /** The sandbox's control page, where a day's bill can be published early (the hint on the page). */
  readonly sandboxUrl?: string;
  /** Wraps a page's body (the shop's header, footer and headers); the standalone layout by default. */
  readonly render?: (title: string, body: Html, c: Context) => string;
}

interface Day {
  channel: string;
  date: string;
  status: string;
  billLines: number | null;
  matched: number | null;
  waiting: number;
  open: number;
  resolved: number;
  unattributed?: number;
  lastError?: { code: string; message: string };
  finishedAt: string | null;
}

interface Item {
  id: string;
  kind: string;
  key: string;
  type: string;
  state: string;
  orderId: string | null;
  ours: Record<string, unknown> | null;
  theirs: Record<string, unknown> | null;
  resolution?: string;
}

const TYPE_LABELS: Record<string, string> = {
  channel_only: 'only in the bill',
  ours_only: 'only in our records',
  amount_mismatch: 'amount differs',
  status_mismatch: 'status differs',
  fee_mismatch: 'fee differs',
};

const CHANNEL = /^[a-z-]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function reconciliationApp(options: ReconciliationPageOptions) {
  const path = options.path ?? '/reconciliation';
  const scope = options.scope ?? 'operator';
  const readToken = options.token ?? options.operatorToken;
  const render = options.render ?? ((title: string, body: Html) => layout(title, body));

  const call = async (prefix: '/v1' | '/ops/v1', token: string | undefined, route: string, init: RequestInit = {}) => {
    if (!token) throw new Error(`no ${prefix === '/v1' ? 'merchant key' : 'operator token'} in the data directory`);
    const response = await fetch(`${options.bffUrl}${prefix}${route}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    return { status: response.status, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  };
  const read = (route: string, init?: RequestInit) => call(scope === 'merchant' ? '/v1' : '/ops/v1', readToken(), route, init);

  return new Hono()
    .get(path, async (c) => {
      const channel = c.req.query('channel');
      const date = c.req.query('date');
      const notice = c.req.query('notice');
      let days: Day[] = [];
      let problem: string | undefined;
      try {
        const answer = await read('/reconciliation/days');
        days = (answer.json.days ?? []) as Day[];
        if (answer.status !== 200) problem = `the cashier answered ${answer.status}`;
      } catch (error) {
        problem = `the cashier did not answer (${error instanceof Error ? error.message : String(error)})`;
      }
      let detail: Html = html``;
      if (!problem && channel && date && CHANNEL.test(channel) && DATE.test(date)) {
        const answer = await read(`/reconciliation/days/${channel}/${date}?limit=500`);
        detail =
          answer.status === 200
            ? dayDetail(path, answer.json.day as Day, answer.json.items as Item[])
            : html`<section class="card"><p>${channel} ${date} has not been reconciled.</p></section>`;
      }
      const canRun = options.operatorToken() !== undefined;
      const title = scope === 'merchant' ? 'Reconciliation' : 'Reconciliation (operator)';
      return c.html(
        render(
          title,
          html`<div class="recon"><h1>${title}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${problem ? html`<p class="notice alert" role="alert">${problem}</p>` : ''}
<section class="card"><h2>Reconcile a day</h2>
<p>Each channel's bill is fetched by the cashier when the channel publishes it (WeChat Pay after 10:00, Alipay and UnionPay after 09:00 Beijing time on the next day), and the day is reconciled then. ${
            options.sandboxUrl
              ? html`In the demo, publish today's bill early (and make it disagree, if you like) from the <a href="${options.sandboxUrl}/#bills">sandbox's control page</a>, then reconcile it here.`
              : html`In the demo, publish today's bill early from the sandbox's control page.`
          }${scope === 'merchant' ? ' You see the items about your own orders.' : ' You see every item, bill lines of no order included.'}</p>
${
  canRun
    ? html`<form method="post" action="${path}/run">
<label>Channel <select name="channel"><option>wechatpay</option><option>alipay</option><option>unionpay</option></select></label>
<label>Clearing day <input name="date" type="date" required value="${date && DATE.test(date) ? date : formatBeijingTime(new Date()).slice(0, 10)}"></label>
<button type="submit">Reconcile now</button>${scope === 'merchant' ? html` <small>(demo: asks the BFF's operator API)</small>` : ''}
</form>`
    : ''
}</section>
${detail}
<section class="card"><h2>Days</h2>
<div class="scroll"><table><thead><tr><th>day</th><th>channel</th><th>status</th><th>bill lines</th><th>matched</th><th>open</th><th>waiting</th><th>resolved</th></tr></thead>
<tbody>${days.map(
            (day) => html`<tr><td><a href="${path}?channel=${day.channel}&amp;date=${day.date}">${day.date}</a></td><td>${day.channel}</td>
<td>${day.status}${day.lastError ? html`<br><small>${day.lastError.code}: ${day.lastError.message}</small>` : ''}</td>
<td>${day.billLines ?? '—'}</td><td>${day.matched ?? '—'}</td><td>${day.open}</td><td>${day.waiting}</td><td>${day.resolved}</td></tr>`,
          )}</tbody></table></div>
${days.length === 0 ? html`<p>No day reconciled yet.</p>` : ''}</section></div>`,
          c,
        ),
      );
    })
    .post(`${path}/run`, async (c) => {
      const form = await c.req.parseBody();
      const channel = String(form.channel ?? '');
      const date = String(form.date ?? '');
      if (!CHANNEL.test(channel) || !DATE.test(date)) return c.redirect(`${path}?notice=Choose+a+channel+and+a+day`, 303);
      const answer = await call('/ops/v1', options.operatorToken(), `/reconciliation/days/${channel}/${date}/run`, { method: 'POST' });
      const result = answer.json as { status?: string; message?: string; code?: string };
      const notice =
        result.status === 'done'
          ? `${channel} ${date} reconciled`
          : result.status === 'not-ready'
            ? `${channel}'s bill for ${date} is not out yet: ${result.message ?? ''}`
            : `${channel} ${date}: ${result.status ?? answer.status} ${result.code ?? ''} ${result.message ?? ''}`;
      return c.redirect(`${path}?${new URLSearchParams({ channel, date, notice })}`, 303);
    })
    .post(`${path}/items/:id/resolve`, async (c) => {
      const form = await c.req.parseBody();
      const note = String(form.note ?? '').trim() || 'checked';
      await read(`/reconciliation/items/${encodeURIComponent(c.req.param('id'))}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ note }),
      });
      const back = new URLSearchParams({ channel: String(form.channel ?? ''), date: String(form.date ?? '') });
      return c.redirect(`${path}?${back}`, 303);
    });
}

function dayDetail(path: string, day: Day, items: Item[]): Html {
  const money = (side: Record<string, unknown> | null, field: 'amount' | 'fee') =>
    side && typeof side[field] === 'number' ? `¥${formatYuan(side[field] as number)}` : '—';
  return html`<section class="card" aria-labelledby="day-title"><h2 id="day-title">${day.channel} · ${day.date}</h2>
<p>${day.billLines ?? 0} bill lines, ${day.matched ?? 0} matched. ${day.open} open, ${day.waiting} waiting for the next day's bill (a payment near midnight may be in it), ${day.resolved} resolved.</p>
<div class="scroll"><table><thead><tr><th>what</th><th>line</th><th>ours</th><th>bill</th><th>state</th></tr></thead>
<tbody>${items.map(
    (item) => html`<tr data-item="${item.type}" data-key="${item.key}"><td>${TYPE_LABELS[item.type] ?? item.type}</td>
<td>${item.kind} <code>${item.key}</code>${item.orderId ? html`<br><small>${item.orderId}</small>` : ''}</td>
<td>${money(item.ours, 'amount')}<br><small>fee ${money(item.ours, 'fee')} · ${String(item.ours?.status ?? '—')}</small></td>
<td>${money(item.theirs, 'amount')}<br><small>fee ${money(item.theirs, 'fee')} · ${String(item.theirs?.status ?? '—')}</small></td>
<td data-state="${item.state}">${item.state}${item.resolution ? html`<br><small>${item.resolution}</small>` : ''}
${item.state === 'resolved' ? '' : html`<form method="post" action="${path}/items/${item.id}/resolve">
<input type="hidden" name="channel" value="${day.channel}"><input type="hidden" name="date" value="${day.date}">
<label>Note <input name="note" size="14" aria-label="How it was resolved"></label><button type="submit">Resolve</button></form>`}</td></tr>`,
  )}</tbody></table></div>
${items.length === 0 ? html`<p>Nothing to look at: every line matched.</p>` : ''}</section>`;
}

function layout(title: string, body: Html): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html`${title}`.html} — Celadon Tea House</title>
<style>
body { font-family: system-ui, -apple-system, 'PingFang SC', sans-serif; margin: 0; background: #f5f6f8; color: #1d2129; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem; }
.card { background: #fff; border-radius: 10px; padding: 1.25rem; margin-bottom: 1rem; box-shadow: 0 1px 2px #0001; }
.notice { background: #e8f3ff; border: 1px solid #94bfff; border-radius: 8px; padding: 0.5rem 0.75rem; }
label { display: inline-block; margin: 0.25rem 0.9rem 0.25rem 0; }
button { font: inherit; padding: 0.4rem 0.9rem; border-radius: 8px; border: 1px solid #c9cdd4; background: #fff; cursor: pointer; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
td, th { text-align: left; padding: 0.35rem 0.4rem; border-bottom: 1px solid #e5e6eb; vertical-align: top; }
a { color: #0958d9; }
code { font-size: 0.8rem; overflow-wrap: anywhere; }
</style>
</head>
<body><main>
${body.html}
</main></body>
</html>`;
}
