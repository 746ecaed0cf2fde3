// The foundation-stage demo: a preview of what the cashier would offer this browser. The server detects the
// terminal from the request (user agent, client hints) plus the evidence the page reports, and runs the shared
// eligibility rules for a sample order. Nothing here takes a payment: the BFF and the widget come next.

import { Hono } from 'hono';
import * as v from 'valibot';
import { eligibility } from '../../shared/eligibility/index.ts';
import { formatMoney } from '../../shared/money/index.ts';
import { TerminalEvidenceSchema, type ErrorResponse, type MerchantSettings } from '../../shared/schemas/index.ts';
import { detectTerminal } from '../../shared/terminal/index.ts';

export const SAMPLE_ORDER = { amount: 128_000, currency: 'CNY', subject: 'Celadon tea set' } as const;

/** The demo merchant. The Huabei rates are sample contract rates: real ones come from the merchant's contract. */
export const DEMO_SETTINGS: MerchantSettings = {
  channels: [{ id: 'wechatpay' }, { id: 'alipay' }, { id: 'unionpay' }, { id: 'paypal' }],
  installments: [
    {
      provider: 'huabei',
      feeBearer: 'buyer',
      minAmount: 10_000,
      plans: [
        { periods: 3, rate: '0.023' },
        { periods: 6, rate: '0.045' },
        { periods: 12, rate: '0.075' },
      ],
    },
  ],
};

const HINTS = ['sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform'] as const;

function problem(code: string, message: string, field?: string): ErrorResponse {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

export function previewApp() {
  return new Hono().post('/api/preview', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(problem('invalid_json', 'the body must be a JSON object'), 400);
    }
    const parsed = v.safeParse(TerminalEvidenceSchema, body);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      return c.json(problem('invalid_evidence', issue.message, v.getDotPath(issue) ?? undefined), 400);
    }
    const clientHints: Record<string, string> = {};
    for (const name of HINTS) {
      const value = c.req.header(name);
      if (value !== undefined) clientHints[name] = value;
    }
    const { appChannels, ...env } = parsed.output;
    const terminal = detectTerminal({ userAgent: c.req.header('user-agent') ?? '', clientHints, env });
    const result = eligibility({
      terminal: terminal.kind,
      order: SAMPLE_ORDER,
      settings: DEMO_SETTINGS,
      ...(appChannels ? { appChannels } : {}),
    });
    return c.json({
      terminal,
      order: { ...SAMPLE_ORDER, display: formatMoney(SAMPLE_ORDER.amount, SAMPLE_ORDER.currency, 'en') },
      ...result,
    });
  });
}
