// The sandbox app: each channel's real API paths and customer pages, mounted on one origin (their real paths do
// not collide), and a control page listing the channel orders with pay / fail / abandon buttons and the log of
// notifications sent.

import { Hono } from 'hono';
import { formatBeijingTime } from '../../shared/channels/beijing-time.ts';
import type { SandboxSecrets } from '../credentials.ts';
import { alipaySandbox } from './alipay/index.ts';
import * as v from 'valibot';
import { BillDiscrepancyBook, BillDiscrepancySchema, dayBill } from './bills.ts';
import { FaultBook, FaultScriptSchema } from './faults.ts';
import { Notifier } from './notifier.ts';
import { OrderBook } from './order-book.ts';
import { formatFen, html, page } from './pages.ts';
import { SANDBOX_CHANNELS, SandboxClock, type ChannelSandbox, type SandboxChannelId, type SandboxContext } from './types.ts';
import { unionpaySandbox } from './unionpay/index.ts';
import { wechatpaySandbox } from './wechatpay/index.ts';

const CHANNELS: Record<SandboxChannelId, (context: SandboxContext) => ChannelSandbox> = {
  wechatpay: wechatpaySandbox,
  alipay: alipaySandbox,
  unionpay: unionpaySandbox,
};

export interface SandboxOptions {
  readonly secrets: SandboxSecrets;
  readonly publicUrl: string;
  /** A JSON file to keep the channel orders in across restarts. */
  readonly stateFile?: string | undefined;
  /** Compresses the channels' notification retry ladders (0.001: a day in under two minutes). */
  readonly timeScale?: number | undefined;
  readonly now?: (() => Date) | undefined;
  readonly fetch?: typeof fetch | undefined;
}

export function createSandbox(options: SandboxOptions) {
  const faults = new FaultBook();
  const context: SandboxContext = {
    secrets: options.secrets,
    orders: new OrderBook(options.stateFile),
    faults,
    notifier: new Notifier({
      faults,
      ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    }),
    publicUrl: options.publicUrl,
    clock: new SandboxClock(options.now),
    bills: new BillDiscrepancyBook(),
  };
  const channels = Object.fromEntries(SANDBOX_CHANNELS.map((id) => [id, CHANNELS[id](context)])) as Record<SandboxChannelId, ChannelSandbox>;

  const app = new Hono();
  app.get('/', (c) => c.html(controlPage(context)));
  app.get('/control/orders', (c) => c.json(context.orders.list()));
  app.get('/control/notifications', (c) => c.json(context.notifier.log));
  app.get('/control/faults', (c) => c.json(faults.list()));
  // A fault script for one channel order, or (`default/default`) for every order made from now on; JSON or a form.
  app.post('/control/faults/:channel/:key', async (c) => {
    const form = c.req.header('content-type')?.includes('application/json') ? await c.req.json() : scriptFromForm(await c.req.parseBody());
    const parsed = v.safeParse(FaultScriptSchema, form);
    if (!parsed.success) return c.json({ error: parsed.issues[0].message, field: v.getDotPath(parsed.issues[0]) }, 400);
    const { channel, key } = c.req.param();
    if (channel === 'default') faults.setDefault(Object.keys(parsed.output).length > 0 ? parsed.output : undefined);
    else faults.set(channel, key, parsed.output);
    return c.req.header('accept')?.includes('text/html') ? c.redirect('/', 303) : c.json(parsed.output);
  });
  app.post('/control/:channel/:key/:outcome', async (c) => {
    const channel = c.req.param('channel');
    const outcome = c.req.param('outcome');
    if (!(SANDBOX_CHANNELS as readonly string[]).includes(channel) || !['pay', 'fail', 'abandon'].includes(outcome)) {
      return c.json({ error: 'unknown channel or outcome' }, 404);
    }
    const sandbox = channels[channel as SandboxChannelId];
    const key = c.req.param('key');
    if (!context.orders.get(sandbox.id, key)) return c.json({ error: 'unknown order' }, 404);
    await sandbox[outcome as 'pay' | 'fail' | 'abandon'](key);
    return c.req.header('accept')?.includes('text/html') ? c.redirect('/', 303) : c.json(context.orders.get(sandbox.id, key));
  });
  // Daily bills: what a day's bill holds (as rows, before the channel's file format), and discrepancies to inject.
  app.get('/control/bills', (c) => c.json(context.bills.list()));
  app.get('/control/bills/:channel/:day', (c) => {
    const { channel, day } = c.req.param();
    if (!isSandboxChannel(channel) || !DAY.test(day)) return c.json({ error: 'unknown channel or not a day such as 2026-11-26' }, 404);
    return c.json(dayBill(channel, day, channels[channel].billEntries(), context.bills, context.clock));
  });
  app.post('/control/bills/:channel/:day/discrepancies', async (c) => {
    const { channel, day } = c.req.param();
    if (!isSandboxChannel(channel) || !DAY.test(day)) return c.json({ error: 'unknown channel or not a day such as 2026-11-26' }, 404);
    const json = c.req.header('content-type')?.includes('application/json');
    const parsed = v.safeParse(BillDiscrepancySchema, json ? await c.req.json() : scriptFromForm(await c.req.parseBody()));
    if (!parsed.success) return c.json({ error: parsed.issues[0].message, field: v.getDotPath(parsed.issues[0]) }, 400);
    // Only WeChat's trade bill prints a status; Alipay's and UnionPay's list successful transactions only.
    if (parsed.output.kind === 'status' && channel !== 'wechatpay') {
      return c.json({ error: `${channel}'s bill has no status column`, field: 'kind' }, 400);
    }
    context.bills.add(channel, day, parsed.output);
    return json ? c.json(context.bills.for(channel, day)) : c.redirect('/', 303);
  });
  // Publishes a day's bill now, ahead of the channel's hour, with what the day holds so far (for the demo).
  app.post('/control/bills/:channel/:day/publish', (c) => {
    const { channel, day } = c.req.param();
    if (!isSandboxChannel(channel) || !DAY.test(day)) return c.json({ error: 'unknown channel or not a day such as 2026-11-26' }, 404);
    context.bills.publish(channel, day);
    return c.req.header('accept')?.includes('text/html') ? c.redirect('/', 303) : c.json({ channel, day, published: true });
  });
  // The control page's bill form: publish a day early, or add one discrepancy.
  app.post('/control/bills/publish', async (c) => {
    const form = await c.req.parseBody();
    const channel = String(form.channel ?? '');
    const day = String(form.day ?? '');
    if (!isSandboxChannel(channel) || !DAY.test(day)) return c.json({ error: 'unknown channel or not a day such as 2026-11-26' }, 400);
    if (form.action === 'discrepancy') {
      const number = form.number === undefined || form.number === '' ? undefined : Number(form.number);
      const kind = String(form.kind ?? '');
      const candidate = {
        kind,
        ...(form.key ? { key: String(form.key) } : {}),
        ...(kind === 'extra' ? { amount: number } : kind === 'amount' || kind === 'fee' ? { delta: number } : {}),
        ...(kind === 'status' ? { status: String(form.status ?? '') } : {}),
      };
      const parsed = v.safeParse(BillDiscrepancySchema, candidate);
      if (!parsed.success) return c.json({ error: parsed.issues[0].message, field: v.getDotPath(parsed.issues[0]) }, 400);
      context.bills.add(channel, day, parsed.output);
    } else {
      context.bills.publish(channel, day);
    }
    return c.redirect('/', 303);
  });
  app.delete('/control/bills/:channel/:day/discrepancies', (c) => {
    const { channel, day } = c.req.param();
    if (!isSandboxChannel(channel)) return c.json({ error: 'unknown channel' }, 404);
    context.bills.clear(channel, day);
    return c.body(null, 204);
  });
  // Moves the channels' clock (bills become available at their hour on D+1; expiry is judged by it).
  app.post('/control/clock', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { advanceSeconds?: unknown };
    if (typeof body.advanceSeconds !== 'number' || !Number.isFinite(body.advanceSeconds) || body.advanceSeconds < 0) {
      return c.json({ error: 'advanceSeconds must be a number of seconds ≥ 0', field: 'advanceSeconds' }, 400);
    }
    context.clock.advance(body.advanceSeconds * 1000);
    return c.json({ now: context.clock.now().toISOString() });
  });
  for (const id of SANDBOX_CHANNELS) app.route('/', channels[id].app);
  return { app, context, channels, stop: () => context.notifier.stop() };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function todayInBeijing(context: SandboxContext): string {
  return formatBeijingTime(context.clock.now()).slice(0, 10);
}

function isSandboxChannel(value: string): value is SandboxChannelId {
  return (SANDBOX_CHANNELS as readonly string[]).includes(value);
}

/** The control page's fault form: empty fields are left out, numbers and checkboxes typed. */
function scriptFromForm(form: Record<string, unknown>): Record<string, unknown> {
  const script: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(form)) {
    if (typeof value !== 'string' || value === '' || name === 'channel' || name === 'key') continue;
    script[name] = value === 'true' ? true : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return script;
}

function controlPage(context: SandboxContext): string {
  const rows = context.orders.list().map(
    (order) => html`<tr>
<td>${order.channel}<br><code>${order.product}</code></td>
<td><code>${order.key}</code></td>
<td>${formatFen(order.amount)}</td>
<td>${order.status}</td>
<td>${
      order.status === 'pending'
        ? ['pay', 'fail', 'abandon'].map(
            (outcome) => html`<form class="inline" method="post" action="/control/${order.channel}/${order.key}/${outcome}"><button type="submit">${outcome}</button></form>`,
          )
        : ''
    }</td>
</tr>`,
  );
  const deliveries = context.notifier.log
    .slice(-50)
    .reverse()
    .map(
      (delivery) =>
        html`<tr><td>${delivery.at}</td><td>${delivery.channel}</td><td><code>${delivery.orderKey}</code></td><td>#${delivery.attempt}</td><td>${delivery.status ?? delivery.error ?? ''}</td><td>${delivery.acknowledged ? 'acknowledged' : 'not acknowledged'}</td></tr>`,
    );
  return page(
    'Channel sandbox',
    html`<h1>Channel sandbox</h1>
<div class="card"><h2>Channel orders</h2>
<table><thead><tr><th>channel</th><th>order</th><th>amount</th><th>status</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>
<div class="card"><h2>Fault script</h2>
<p>For one order (its number) or, left empty, for every order made from now on.</p>
<form method="post" action="/control/faults/default/default" id="faults">
<label>Channel <select name="channel"><option value="default">every order</option>${SANDBOX_CHANNELS.map((id) => html`<option value="${id}">${id}</option>`)}</select></label>
<label>Order <input name="key" size="22"></label><br>
<label><input type="checkbox" name="drop" value="true"> drop notifications</label>
<label>duplicate × <input name="duplicate" size="3"></label>
<label>delay s <input name="delaySeconds" size="4"></label>
<label>reorder within s <input name="reorderSeconds" size="4"></label><br>
<label><input type="checkbox" name="forgeSignature" value="true"> forge signature</label>
<label>report amount <input name="changeAmount" size="6"></label>
<label>queries fail <select name="queryFailure"><option value=""></option><option>5xx</option><option>timeout</option></select> × <input name="queryFailures" size="3"></label>
<label><input type="checkbox" name="successAfterExpiry" value="true"> success after expiry</label>
<label><input type="checkbox" name="probe" value="true"> WeChat signature probe</label>
<button type="submit">Set</button>
</form></div>
<div class="card"><h2>Daily bills</h2>
<p>A day's bill is out at the channel's hour on the next day (WeChat Pay 10:00, Alipay and UnionPay 09:00, Beijing time). Publish one early, or make it disagree with the merchant's records.</p>
<form method="post" id="bills" action="/control/bills/publish">
<label>Channel <select name="channel">${SANDBOX_CHANNELS.map((id) => html`<option value="${id}">${id}</option>`)}</select></label>
<label>Day <input name="day" size="10" value="${todayInBeijing(context)}"></label><br>
<button type="submit" name="action" value="publish">Publish the bill now</button>
<label>or make it wrong: <select name="kind"><option>missing</option><option>extra</option><option>amount</option><option>fee</option><option>status</option></select></label>
<label>order / refund no. <input name="key" size="22"></label>
<label>amount / delta (fen) <input name="number" size="6"></label>
<label>status <input name="status" size="10"></label>
<button type="submit" name="action" value="discrepancy">Add</button>
</form></div>
<div class="card"><h2>Notifications sent</h2>
<table><thead><tr><th>at</th><th>channel</th><th>order</th><th>try</th><th>answer</th><th></th></tr></thead><tbody>${deliveries}</tbody></table></div>`,
  );
}
