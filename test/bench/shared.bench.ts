// Throughput of the shared core on this machine: money, fees, terminal detection, eligibility.

import corpus from '../fixtures/user-agents.json' with { type: 'json' };
import { eligibility } from '../../shared/eligibility/index.ts';
import { feeRefunds } from '../../shared/fees/index.ts';
import { formatYuan, parseYuan } from '../../shared/money/index.ts';
import { detectTerminal } from '../../shared/terminal/index.ts';
import { DEMO_SETTINGS, SAMPLE_ORDER } from '../../demo/preview/index.ts';
import { measure } from './measure.ts';

export function run(): void {
  const yuan = Array.from({ length: 1000 }, (_, i) => formatYuan(i * 137));
  measure('money-parse-format', (i) => formatYuan(parseYuan(yuan[i % yuan.length] as string)));

  const payment = { amount: 100_000, fee: 600, rate: '0.006' };
  const refunds = [10_000, 20_000, 30_000, 40_000];
  measure('fee-refunds-4', () => feeRefunds('wechatpay', payment, refunds));

  const uas = corpus as { ua: string }[];
  measure('terminal-detect', (i) => detectTerminal({ userAgent: (uas[i % uas.length] as { ua: string }).ua }));

  const terminals = ['pc', 'wap', 'wechat', 'miniprogram', 'alipay', 'app'] as const;
  measure('eligibility', (i) =>
    eligibility({ terminal: terminals[i % terminals.length] as (typeof terminals)[number], order: SAMPLE_ORDER, settings: DEMO_SETTINGS }),
  );
}
