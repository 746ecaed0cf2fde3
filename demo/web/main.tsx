import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { RULEBOOK, findProduct } from '../../shared/channels/index.ts';
import { formatMoney } from '../../shared/money/index.ts';
import type { Option, Unavailable } from '../../shared/schemas/index.ts';
import type { Terminal } from '../../shared/terminal/index.ts';
import { collectEvidence } from '../../widget/terminal-evidence.ts';

interface Preview {
  terminal: Terminal;
  order: { amount: number; currency: 'CNY'; subject: string };
  options: Option[];
  unavailable: Unavailable[];
}

const TERMINAL_NAMES: Record<Terminal['kind'], string> = {
  pc: 'Desktop browser (pc)',
  wap: 'Mobile browser (wap)',
  wechat: 'Inside WeChat (wechat)',
  miniprogram: 'WeChat mini-program web-view (miniprogram)',
  alipay: 'Inside the Alipay client (alipay)',
  app: 'The merchant’s app (app)',
};

const ACTIONS: Record<Option['action'], string> = {
  qr: 'shows a QR code to scan',
  redirect: 'continues on the channel’s page',
  form: 'posts a form to the channel’s gateway',
  jsapi: 'opens the in-app payment sheet',
  miniprogram: 'hands over to a native mini-program page',
  app: 'hands over to the app’s SDK',
  handoff: 'continue in a browser or on another device',
};

function label(option: Option): string {
  const channel = RULEBOOK[option.channel].name.en;
  const product = option.product === null ? undefined : findProduct(option.channel, option.product);
  if (option.installment) return `${channel} · Huabei ${option.installment.periods} instalments`;
  return product ? `${channel} · ${product.name.en}` : channel;
}

function Page() {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    fetch('/api/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(collectEvidence()),
    })
      .then(async (response) => {
        const body = await response.json();
        if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
        setPreview(body as Preview);
      })
      .catch((error: unknown) => setFailure(error instanceof Error ? error.message : String(error)));
  }, []);

  if (failure) return <p role="alert">The preview could not be loaded: {failure}</p>;
  if (!preview) return <p>Detecting your terminal…</p>;
  const money = (amount: number) => formatMoney(amount, preview.order.currency, 'en');

  return (
    <>
      <h1>Unified cashier — terminal preview</h1>
      <p class="notice">
        Foundation stage: this page shows what the cashier would offer this browser. Payments are not built yet, so
        there is no pay button.
      </p>
      <h2>Your terminal</h2>
      <p class="terminal" data-testid="terminal-kind" data-kind={preview.terminal.kind}>
        {TERMINAL_NAMES[preview.terminal.kind]}
      </p>
      <p class="muted">
        {preview.terminal.os} · {preview.terminal.device}
        {preview.terminal.host ? ` · in ${preview.terminal.host}` : ''}
      </p>
      <ul data-testid="evidence">
        {preview.terminal.evidence.map((item) => (
          <li key={item}>
            <code>{item}</code>
          </li>
        ))}
      </ul>
      <h2>
        Options for “{preview.order.subject}”, {money(preview.order.amount)}
      </h2>
      <ul class="options" data-testid="options">
        {preview.options.map((option) => (
          <li key={option.id} data-option={option.id} class={option.recommended ? 'recommended' : undefined}>
            <span>
              {label(option)}
              {option.recommended ? ' (recommended)' : ''}
              <br />
              <span class="muted">{ACTIONS[option.action]}</span>
            </span>
            {option.installment ? (
              <span class="muted">
                {money(option.installment.perPeriod)} × {option.installment.periods}
                <br />
                fee {money(option.installment.fee)}, paid by {option.installment.feeBearer}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      <h2>Not offered here</h2>
      <ul data-testid="unavailable">
        {preview.unavailable.map((item) => (
          <li key={`${item.channel}:${item.installment ?? ''}`}>
            {RULEBOOK[item.channel].name.en}
            {item.installment ? ` (${item.installment})` : ''}: <code>{item.reason}</code> — {item.detail}
          </li>
        ))}
      </ul>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<Page />, root);
