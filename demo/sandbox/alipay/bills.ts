// The Alipay sandbox's trade bill (业务账单): alipay.data.dataservice.bill.downloadurl.query answered on gateway.do,
// and the short-lived download link it hands out serving the day's ZIP — a GBK 业务明细 CSV and its 汇总 CSV, named in
// GBK, laid out as channel-protocols.md §2.9 describes and bff/bills/alipay.ts reads. The rows come from bills.ts
// `dayBill` (clearing window, fees, injected discrepancies).
//
// Deviations, each deliberate: daily trade bills only (bill_type signcustomer and monthly bill_date are refused);
// the file is rendered when it is downloaded, so a discrepancy injected later shows up in the next download.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { formatBeijingTime, parseDay } from '../../../shared/channels/beijing-time.ts';
import { shiftDay } from '../../../shared/channels/index.ts';
import { formatYuan } from '../../../shared/money/index.ts';
import { ALIPAY_BILL_COLUMNS, encodeGbk } from '../../../bff/bills/generate.ts';
import { dayBill, type BillEntry, type BillRow } from '../bills.ts';
import type { SandboxContext } from '../types.ts';
import { failure, type Failure } from './protocol.ts';
import { SANDBOX_BUYER, type AlipayTrades } from './trades.ts';
import { zipEntries } from './zip.ts';

export const BILL_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';

/**
 * "账单下载地址链接，获取连接后30秒后未下载，链接地址失效" (AlipayDataDataserviceBillDownloadurlQueryResponse.java in
 * alipay/alipay-sdk-java-all; channel-protocols.md §2.9). Judged on the sandbox clock.
 */
export const DOWNLOAD_LINK_VALIDITY_MS = 30_000;

/** The path of Alipay's own download links: http://dwbillcenter.alipay.com/downloadBillFile.resource?… */
export const DOWNLOAD_PATH = '/downloadBillFile.resource';

/**
 * The answers this method gives besides success. Sources:
 * - `isv.invalid_arguments` "入参不合法" (40004) for a malformed date, or for today's (or a later) date: quoted whole
 *   from a real answer in blog.csdn.net/chenkan5756/article/details/100711360 ("不能查询当日…会返回参数不合法"); the
 *   official table lists it as INVAILID_ARGUMENTS (opendocs.alipay.com/open/e81ed5f1_alipay.data.dataservice.bill.downloadurl.query).
 * - `isp.bill_not_exist` "账单不存在" (40004) before the bill is generated ("当日数据一般于次日 9 点前生成", the same doc
 *   and alipay-sdk-java-all v3/docs/AlipayDataDataserviceBillDownloadurlApi.md). The official table calls it
 *   BILL_NOT_EXIST; the 1.0 gateway answers `isp.bill_not_exist` (solarhell/alipay-go README, "2026-09-04 用生产商户
 *   账号实测"; the same sub_code is checked by smartwalle/alipay's IsBillNotExist).
 * - TYPE_NOT_SUPPORTED "此账单类型不支持下载" for signcustomer, which the sandbox does not produce (official table;
 *   [UNVERIFIED] whether the 1.0 gateway prefixes it, as it does bill_not_exist).
 */
const refusals = {
  invalidArguments: (why: string) => failure('40004', 'isv.invalid_arguments', `入参不合法 (${why})`),
  billNotExist: () => failure('40004', 'isp.bill_not_exist', '账单不存在'),
  typeNotSupported: () => failure('40004', 'TYPE_NOT_SUPPORTED', '此账单类型不支持下载 (沙箱只提供 trade 日账单)'),
} as const;

/**
 * "EMPTY_DATA_WITH_BILL_FILE：当天无账单业务数据&&可以获取到空数据账单文件" ("目前仅对默认配置用户生效", the official
 * doc and AlipayDataDataserviceBillDownloadurlQueryResponse.java): a day without any movement still has a file, and
 * the answer says it is empty. The sandbox's merchant has the default configuration.
 */
export const EMPTY_BILL_FILE_CODE = 'EMPTY_DATA_WITH_BILL_FILE';

/** Every payment (at its payment time) and every refund (out_request_no, at its time) the sandbox's Alipay made. */
export function alipayBillEntries(context: SandboxContext, trades: AlipayTrades): BillEntry[] {
  const entries: BillEntry[] = [];
  for (const order of context.orders.list()) {
    // A trade closed by refunding it in full was paid all the same: paidAt stays.
    if (order.channel !== 'alipay' || order.paidAt === undefined) continue;
    entries.push({ kind: 'payment', order, amount: order.amount, status: '交易', at: new Date(order.paidAt) });
    for (const refund of trades.refundsOf(order)) {
      entries.push({ kind: 'refund', order, refundNo: refund.outRequestNo, amount: refund.amount, status: '退款', at: new Date(refund.at) });
    }
  }
  return entries;
}

export class AlipayBills {
  readonly #context: SandboxContext;
  readonly #trades: AlipayTrades;
  readonly #entries: () => readonly BillEntry[];
  /** Signs the download links; a restarted sandbox forgets it, which only ends links that lived 30 s anyway. */
  readonly #linkKey = randomBytes(32);

  constructor(context: SandboxContext, trades: AlipayTrades, entries: () => readonly BillEntry[]) {
    this.#context = context;
    this.#trades = trades;
    this.#entries = entries;
  }

  /**
   * The bill's account as Alipay prints it: the 16-digit PID followed by 0156, as in every published link
   * ("userId=20886216406590780156&…&downloadFileName=20886216406590780156_20201224.csv.zip").
   */
  get account(): string {
    return `${this.#trades.sellerId}0156`;
  }

  /** alipay.data.dataservice.bill.downloadurl.query: bill_type and bill_date (AlipayDataDataserviceBillDownloadurlQueryModel). */
  answer(biz: Readonly<Record<string, unknown>>): Record<string, unknown> | Failure {
    const { bill_type: type, bill_date: date } = biz;
    if (typeof type !== 'string' || type === '') return refusals.invalidArguments('bill_type is required');
    if (typeof date !== 'string' || date === '') return refusals.invalidArguments('bill_date is required');
    // Only lower-case trade and signcustomer exist for a plain merchant (the official bill_type enum).
    if (type === 'signcustomer') return refusals.typeNotSupported();
    if (type !== 'trade') return refusals.invalidArguments(`bill_type ${type} is not trade or signcustomer`);
    if (/^\d{4}-\d{2}$/.test(date)) return refusals.invalidArguments('沙箱只提供日账单');
    if (parseDay(date) === undefined) return refusals.invalidArguments('bill_date is not a yyyy-MM-dd date');
    const now = this.#context.clock.now();
    // "不支持下载当日账单，只能下载前一日24点前的账单数据（T+1）".
    if (date >= formatBeijingTime(now).slice(0, 10) && !this.#context.bills.isPublished('alipay', date)) return refusals.invalidArguments('不支持下载当日或以后的账单');
    const bill = this.#bill(date);
    if (bill.kind === 'not-ready') return refusals.billNotExist();
    return {
      bill_download_url: this.#link(date, now),
      ...(bill.rows.length === 0 ? { bill_file_code: EMPTY_BILL_FILE_CODE } : {}),
    };
  }

  /** GET /downloadBillFile.resource: the day's ZIP, while the link is fresh and its token is ours. */
  download(c: Context): Response {
    const query = new URL(c.req.url).searchParams;
    const params = Object.fromEntries(LINK_FIELDS.map((name) => [name, query.get(name) ?? '']));
    const token = query.get('token') ?? '';
    const expected = this.#token(params);
    // The stamp is in whole seconds: counted from the end of that second, a link lives at least the full 30 s.
    const fresh = this.#context.clock.now().getTime() < (Number(params.timestamp) + 1) * 1000 + DOWNLOAD_LINK_VALIDITY_MS;
    const day = /^(\d{4})(\d{2})(\d{2})$/.exec(params.bizDates ?? '');
    // [UNVERIFIED] what dwbillcenter answers for a stale or altered link; a refusal that is not a ZIP is what matters.
    if (!day || token.length !== expected.length || !timingSafeEqual(Buffer.from(token), Buffer.from(expected)) || !fresh) {
      return c.text('下载链接无效或已过期', 403);
    }
    const date = `${day[1]}-${day[2]}-${day[3]}`;
    const bill = this.#bill(date);
    if (bill.kind === 'not-ready') return c.text('账单不存在', 404);
    const zip = renderBillZip(this.account, date, bill.rows, this.#context.clock.now(), (key) => this.#context.orders.get('alipay', key)?.createdAt);
    return c.body(new Uint8Array(zip), 200, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${params.downloadFileName}"`,
    });
  }

  #bill(date: string) {
    return dayBill('alipay', date, this.#entries(), this.#context.bills, this.#context.clock);
  }

  /** A link shaped like Alipay's, on the sandbox's origin, stamped now (seconds) and signed so it cannot be altered. */
  #link(date: string, now: Date): string {
    const compact = date.replaceAll('-', '');
    const file = `${this.account}_${compact}.csv.zip`;
    const params: Record<string, string> = {
      bizType: 'trade',
      userId: this.account,
      fileType: 'csv.zip',
      bizDates: compact,
      downloadFileName: file,
      fileId: `/trade/${this.account}/${compact}.csv.zip`,
      timestamp: String(Math.floor(now.getTime() / 1000)),
    };
    const url = new URL(DOWNLOAD_PATH, this.#context.publicUrl);
    for (const name of LINK_FIELDS) url.searchParams.set(name, params[name] ?? '');
    url.searchParams.set('token', this.#token(params));
    return url.toString();
  }

  /** 32 hex digits, as long as Alipay's own link tokens. */
  #token(params: Readonly<Record<string, string>>): string {
    const content = LINK_FIELDS.map((name) => `${name}=${params[name] ?? ''}`).join('&');
    return createHmac('sha256', this.#linkKey).update(content).digest('hex').slice(0, 32);
  }
}

const LINK_FIELDS = ['bizType', 'userId', 'fileType', 'bizDates', 'downloadFileName', 'fileId', 'timestamp'] as const;

// --- the files ---------------------------------------------------------------------------------------

/** Signed yuan: refunds and charged fees are written negative. */
const yuan = (fen: number, negative = false): string => `${negative && fen !== 0 ? '-' : ''}${formatYuan(fen)}`;

/** `yyyy年MM月dd日 HH:mm:ss`, the header and footer lines' own format. */
function chineseTime(at: Date): string {
  const text = formatBeijingTime(at);
  return `${text.slice(0, 4)}年${text.slice(5, 7)}月${text.slice(8, 10)}日 ${text.slice(11)}`;
}

/**
 * A free-text value as the file can hold it: one line (a line end would end the row), quoted when it holds a comma
 * or a quote, and only characters GBK has ([UNVERIFIED] what Alipay prints for others; `?` here).
 */
function text(value: string): string {
  const line = [...value.replace(/[\r\n]+/g, ' ')].map((ch) => (isGbk(ch) ? ch : '?')).join('');
  return /[",]/.test(line) ? `"${line.replaceAll('"', '""')}"` : line;
}

function isGbk(ch: string): boolean {
  if (ch.charCodeAt(0) < 0x80) return true;
  try {
    encodeGbk(ch);
    return true;
  } catch {
    return false;
  }
}

interface Totals {
  readonly payments: number;
  readonly paid: number;
  readonly refunds: number;
  readonly refunded: number;
  /** Net fee: charged on payments minus returned on refunds, fen (may be negative only through an injected fee). */
  readonly fees: number;
}

function totalsOf(rows: readonly BillRow[]): Totals {
  const totals = { payments: 0, paid: 0, refunds: 0, refunded: 0, fees: 0 };
  for (const row of rows) {
    if (row.kind === 'payment') {
      totals.payments += 1;
      totals.paid += row.amount;
      totals.fees += row.fee;
    } else {
      totals.refunds += 1;
      totals.refunded += row.amount;
      totals.fees -= row.fee;
    }
  }
  return totals;
}

/** The lines both files start with: title, account, the clearing window (channel-protocols.md §2.9). */
function preamble(title: string, account: string, day: string): string[] {
  const start = new Date(`${day}T00:00:00+08:00`);
  const end = new Date(`${shiftDay(day, 1)}T00:00:00+08:00`);
  return [title, `#账号：[${account}]`, `#起始日期：[${chineseTime(start)}]   终止日期：[${chineseTime(end)}]`];
}

/**
 * The 业务明细 CSV (channel-protocols.md §2.9; ALIPAY_BILL_COLUMNS). Numbers are padded with a tab as Alipay pads them
 * (so spreadsheet programs keep the digits); 订单金额 and 商家实收 are negative on 退款 rows; 服务费 is negative on 交易
 * rows (charged) and positive on 退款 rows (returned), as bff/bills/generate.ts writes it and the parser reads its
 * magnitude. 创建时间 is the trade's creation; 完成时间 the payment's or the refund's time.
 */
export function detailLines(account: string, day: string, rows: readonly BillRow[], exportedAt: Date, createdAt: (orderKey: string) => string | undefined): string[] {
  const totals = totalsOf(rows);
  const lines = [...preamble('#支付宝业务明细查询', account, day), '#-----------------------------------------业务明细列表----------------------------------------'];
  lines.push(ALIPAY_BILL_COLUMNS.join(','));
  for (const row of rows) {
    const refund = row.kind === 'refund';
    const created = createdAt(row.orderKey);
    const values: Record<(typeof ALIPAY_BILL_COLUMNS)[number], string> = {
      支付宝交易号: `${row.tradeNo}\t`,
      商户订单号: `${row.orderKey}\t`,
      业务类型: refund ? '退款' : '交易',
      商品名称: text(row.description),
      创建时间: formatBeijingTime(created === undefined ? row.at : new Date(created)),
      完成时间: formatBeijingTime(row.at),
      门店编号: '',
      门店名称: '',
      操作员: '',
      终端号: '',
      对方账户: SANDBOX_BUYER.logonId,
      '订单金额（元）': yuan(row.amount, refund),
      '商家实收（元）': yuan(row.amount, refund),
      '支付宝红包（元）': '0.00',
      '集分宝（元）': '0.00',
      '支付宝优惠（元）': '0.00',
      '商家优惠（元）': '0.00',
      '券核销金额（元）': '0.00',
      券名称: '',
      '商家红包消费金额（元）': '0.00',
      '卡消费金额（元）': '0.00',
      // out_request_no is the merchant's free text (String(64)): quoted like the other free text if it must be.
      '退款批次号/请求号': refund ? `${text(row.refundNo ?? '')}\t` : '',
      '服务费（元）': yuan(row.fee, !refund),
      '分润（元）': '0.00',
      // [UNVERIFIED] what Alipay puts in 备注; the sandbox leaves it empty.
      备注: '',
    };
    lines.push(ALIPAY_BILL_COLUMNS.map((name) => values[name]).join(','));
  }
  lines.push('#-----------------------------------------业务明细列表结束------------------------------------');
  lines.push(`#交易合计：${totals.payments}笔，商家实收共${yuan(totals.paid)}元，商家优惠共0.00元`);
  lines.push(`#退款合计：${totals.refunds}笔，商家实收退款共${yuan(totals.refunded, true)}元，商家优惠退款共0.00元`);
  lines.push(`#导出时间：[${chineseTime(exportedAt)}]`);
  return lines;
}

/**
 * The 业务明细(汇总) CSV: one 合计 row under the columns 3P parsers of real bills name (门店编号,门店名称,交易订单总笔数,
 * 退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）
 * — e.g. a reconciliation service's CsrAlipayRecnCl mapping, and APayDayBill.readDayBill which reads the row starting
 * 合计). [UNVERIFIED] against an official sample; nothing we parse depends on it.
 */
export function summaryLines(account: string, day: string, rows: readonly BillRow[], exportedAt: Date): string[] {
  const totals = totalsOf(rows);
  const received = totals.paid - totals.refunded;
  const net = received - totals.fees;
  const signed = (fen: number) => yuan(Math.abs(fen), fen < 0);
  return [
    ...preamble('#支付宝业务汇总查询', account, day),
    '#-----------------------------------------业务汇总列表----------------------------------------',
    '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）',
    `合计,,${totals.payments},${totals.refunds},${signed(received)},${signed(received)},0.00,0.00,0.00,${signed(-totals.fees)},0.00,${signed(net)}`,
    '#----------------------------------------业务汇总列表结束-------------------------------------',
    `#导出时间：[${chineseTime(exportedAt)}]`,
  ];
}

/**
 * The downloaded ZIP: `{account}_{yyyyMMdd}_业务明细.csv` and `{account}_{yyyyMMdd}_业务明细(汇总).csv`, names and
 * content in GBK, lines ending CRLF (channel-protocols.md §2.9).
 */
export function renderBillZip(account: string, day: string, rows: readonly BillRow[], exportedAt: Date, createdAt: (orderKey: string) => string | undefined): Uint8Array {
  const compact = day.replaceAll('-', '');
  const file = (lines: readonly string[]) => encodeGbk(`${lines.join('\r\n')}\r\n`);
  return zipEntries(
    [
      { name: encodeGbk(`${account}_${compact}_业务明细.csv`), data: file(detailLines(account, day, rows, exportedAt, createdAt)) },
      { name: encodeGbk(`${account}_${compact}_业务明细(汇总).csv`), data: file(summaryLines(account, day, rows, exportedAt)) },
    ],
    exportedAt,
  );
}
