// Bill parsing on this machine: a generated WeChat trade bill of 100,000 and 1,000,000 lines parsed as a stream,
// with the process's peak resident memory. Parsing only: matching against our records is the reconciliation job's.

import { generateWechatBill } from '../../bff/bills/generate.ts';
import { parseWechatTradeBill } from '../../bff/bills/wechatpay.ts';

async function parse(rows: number): Promise<{ seconds: number; lines: number }> {
  const started = performance.now();
  const bill = parseWechatTradeBill(generateWechatBill(rows));
  let lines = 0;
  for await (const _line of bill.lines) lines += 1;
  await bill.summary;
  return { seconds: (performance.now() - started) / 1000, lines };
}

export async function run(): Promise<void> {
  const small = await parse(100_000);
  const rssSmall = process.resourceUsage().maxRSS / 1024;
  const large = await parse(1_000_000);
  const rssLarge = process.resourceUsage().maxRSS / 1024;
  if (small.lines !== 100_000 || large.lines !== 1_000_000) throw new Error('the generated bills did not parse whole');
  console.log(`bench bill-parse-100k-lines: ${small.seconds.toFixed(2)} s`);
  console.log(`bench bill-parse-1m-lines: ${large.seconds.toFixed(2)} s (generation included)`);
  console.log(`bench bill-parse-peak-rss-after-100k: ${rssSmall.toFixed(0)} MB`);
  console.log(`bench bill-parse-peak-rss-after-1m: ${rssLarge.toFixed(0)} MB`);
}
