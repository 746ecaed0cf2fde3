// The demo's reconciliation page (/reconciliation on the demo's page server): each channel's reconciled days and
// the discrepancies of a day, read from the BFF's operator API on the server side (the operator token never reaches
// the browser), with a form to reconcile a day now. Plain HTML, no scripts, every value escaped.

import { Hono } from 'hono';
import { formatYuan } from '../../shared/money/index.ts';
import { html, type Html } from '../sandbox/pages.ts';

export interface ReconciliationPageOptions {
  readonly bffUrl: string;
  /** The operator token; read per request so that a reset data directory is picked up. */
  readonly operatorToken: () => string | undefined;
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
  unattributed: number;
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

export function reconciliationApp(options: ReconciliationPageOptions) {
  const call = async (path: string, init: RequestInit = {}) => {
    const token = options.operatorToken();
    if (!token) throw new Error('no operator token in the data directory');
    const response = await fetch(`${options.bffUrl}/ops/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  return new Hono()
    .get('/reconciliation', async (c) => {
      const channel = c.req.query('channel');
      const date = c.req.query('date');
      const days = ((await call('/reconciliation/days')).json.days ?? []) as Day[];
      let detail: Html = html``;
      if (channel && date && /^[a-z-]+$/.test(channel) && /^\d{4}-\d{2}-\d{2}$/.test(date)) {
        const answer = await call(`/reconciliation/days/${channel}/${date}?limit=500`);
        detail = answer.status === 200 ? dayDetail(answer.json.day as Day, answer.json.items as Item[]) : html`<p>${channel} ${date} has not been reconciled.</p>`;
      }
      const notice = c.req.query('notice');
      return c.html(layout(html`<h1>Reconciliation</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<section class="card"><h2>Reconcile a day now</h2>
<p>Each channel's bill is fetched by itself when the channel publishes it (WeChat Pay after 10:00, Alipay and UnionPay after 09:00 Beijing time on the next day). To reconcile today in the demo, publish today's bill early from the sandbox's control page.</p>
<form method="post" action="/reconciliation/run">
<label>Channel <select name="channel"><option>wechatpay</option><option>alipay</option><option>unionpay</option></select></label>
<label>Clearing day <input name="date" type="date" required></label>
<button type="submit">Reconcile</button>
</form></section>
${detail}
<section class="card"><h2>Days</h2>
<table><thead><tr><th>day</th><th>channel</th><th>status</th><th>bill lines</th><th>matched</th><th>open</th><th>waiting</th><th>resolved</th></tr></thead>
<tbody>${days.map(
        (day) => html`<tr><td><a href="/reconciliation?channel=${day.channel}&amp;date=${day.date}">${day.date}</a></td><td>${day.channel}</td>
<td>${day.status}${day.lastError ? html`<br><small>${day.lastError.code}: ${day.lastError.message}</small>` : ''}</td>
<td>${day.billLines ?? '—'}</td><td>${day.matched ?? '—'}</td><td>${day.open}</td><td>${day.waiting}</td><td>${day.resolved}</td></tr>`,
      )}</tbody></table>
${days.length === 0 ? html`<p>No day reconciled yet.</p>` : ''}</section>`));
    })
    .post('/reconciliation/run', async (c) => {
      const form = await c.req.parseBody();
      const channel = String(form.channel ?? '');
      const date = String(form.date ?? '');
      if (!/^[a-z-]+$/.test(channel) || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return c.redirect('/reconciliation?notice=Choose+a+channel+and+a+day', 303);
      const answer = await call(`/reconciliation/days/${channel}/${date}/run`, { method: 'POST' });
      const result = answer.json as { status?: string; message?: string; code?: string };
      const notice =
        result.status === 'done'
          ? `${channel} ${date} reconciled`
          : result.status === 'not-ready'
            ? `${channel}'s bill for ${date} is not out yet: ${result.message ?? ''}`
            : `${channel} ${date}: ${result.status ?? answer.status} ${result.code ?? ''} ${result.message ?? ''}`;
      const query = new URLSearchParams({ channel, date, notice });
      return c.redirect(`/reconciliation?${query}`, 303);
    })
    .post('/reconciliation/items/:id/resolve', async (c) => {
      const form = await c.req.parseBody();
      const note = String(form.note ?? '').trim() || 'checked';
      await call(`/reconciliation/items/${encodeURIComponent(c.req.param('id'))}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ note }),
      });
      const back = new URLSearchParams({ channel: String(form.channel ?? ''), date: String(form.date ?? '') });
      return c.redirect(`/reconciliation?${back}`, 303);
    });
}

function dayDetail(day: Day, items: Item[]): Html {
  const money = (side: Record<string, unknown> | null, field: 'amount' | 'fee') =>
    side && typeof side[field] === 'number' ? `¥${formatYuan(side[field] as number)}` : '—';
  return html`<section class="card"><h2>${day.channel} · ${day.date}</h2>
<p>${day.billLines ?? 0} bill lines, ${day.matched ?? 0} matched. ${day.open} open, ${day.waiting} waiting for the next day's bill (a payment near midnight may be in it), ${day.resolved} resolved.</p>
<table><thead><tr><th>what</th><th>line</th><th>ours</th><th>bill</th><th>state</th></tr></thead>
<tbody>${items.map(
    (item) => html`<tr><td>${TYPE_LABELS[item.type] ?? item.type}</td>
<td>${item.kind} <code>${item.key}</code>${item.orderId ? html`<br><small>${item.orderId}</small>` : ''}</td>
<td>${money(item.ours, 'amount')}<br><small>fee ${money(item.ours, 'fee')} · ${String(item.ours?.status ?? '—')}</small></td>
<td>${money(item.theirs, 'amount')}<br><small>fee ${money(item.theirs, 'fee')} · ${String(item.theirs?.status ?? '—')}</small></td>
<td>${item.state}${item.resolution ? html`<br><small>${item.resolution}</small>` : ''}
${item.state === 'resolved' ? '' : html`<form method="post" action="/reconciliation/items/${item.id}/resolve">
<input type="hidden" name="channel" value="${day.channel}"><input type="hidden" name="date" value="${day.date}">
<label>Note <input name="note" size="14" aria-label="How it was resolved"></label><button type="submit">Resolve</button></form>`}</td></tr>`,
  )}</tbody></table>
${items.length === 0 ? html`<p>Nothing to look at: every line matched.</p>` : ''}</section>`;
}

function layout(body: Html): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reconciliation — Celadon Tea House</title>
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
