// WeChat Pay's trade bill in the sandbox (channel-protocols.md §1.9): the day's payments and refunds as WeChat
// lists them, written in its CSV layout, behind its two-step download: GET /v3/bill/tradebill answers a signed
// {hash_type, hash_value, download_url}, and the download itself is an unsigned file stream (§1.2).

import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { addMonths, formatBeijingTime, formatDay, parseDay, toBeijing } from '../../../shared/channels/beijing-time.ts';
import { formatDecimalAmount, formatYuan, parseRate, roundHalfUp } from '../../../shared/money/index.ts';
import { WECHAT_BILL_COLUMNS } from '../../../bff/bills/wechatpay.ts';
import { SANDBOX_FEE_TERMS, dayBill, type BillEntry, type BillRow } from '../bills.ts';
import type { OrderBook } from '../order-book.ts';
import type { SandboxContext } from '../types.ts';
import { errorAnswer, requestId, signedAnswer, verifyMerchant, type ErrorBody, type WechatpayEnv } from './protocol.ts';
import { refundsOf } from './refund-book.ts';
import { CHANNEL } from './transactions.ts';

// ---------------------------------------------------------------------------------------------------------
// What the bill lists

/**
 * Every paid order (at its success time) and every refund that succeeded (at its acceptance time: the trade bill's
 * data time is "支付成功时间或退款受理时间", pay.weixin.qq.com/docs/merchant/products/bill-download/concept.html, §1.9;
 * the v2 bill doc says the same: "交易时间 … 发起退款成功时间（注：不是退款成功时间）"). A refund accepted at 23:59 and
 * credited after midnight is on the earlier day's bill.
 */
export function wechatpayBillEntries(orders: OrderBook): BillEntry[] {
  const entries: BillEntry[] = [];
  for (const order of orders.list()) {
    if (order.channel !== CHANNEL) continue;
    if (order.status === 'paid' && order.paidAt !== undefined) {
      entries.push({ kind: 'payment', order, amount: order.amount, status: 'SUCCESS', at: new Date(order.paidAt) });
    }
    for (const refund of refundsOf(order)) {
      if (refund.status !== 'SUCCESS') continue;
      entries.push({
        kind: 'refund',
        order,
        refundNo: refund.outRefundNo,
        channelRefundNo: refund.refundId,
        amount: refund.amount,
        status: refund.status,
        at: new Date(refund.createdAt),
      });
    }
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------
// The file (§1.9, vector W7)

export const TRADE_BILL_TYPES = ['ALL', 'SUCCESS', 'REFUND'] as const;
export type TradeBillType = (typeof TRADE_BILL_TYPES)[number];

/** ALL: the 27 columns of vector W7, as the BFF's parser reads them. */
const ALL_COLUMNS = WECHAT_BILL_COLUMNS;

/**
 * SUCCESS files lack the refund columns; REFUND files add 退款申请时间 and 退款成功时间 (the real headers quoted in WxJava's
 * weixin-java-pay/src/test/java/com/github/binarywang/wxpay/bean/result/WxPayBillResultTest.java, Wechat-Group/
 * weixin-java-tools; the v2 下载交易账单 doc, pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_6, in older names).
 */
const SUCCESS_COLUMNS = [
  '交易时间', '公众账号ID', '商户号', '特约商户号', '设备号', '微信订单号', '商户订单号', '用户标识', '交易类型',
  '交易状态', '付款银行', '货币种类', '应结订单金额', '代金券金额', '商品名称', '商户数据包', '手续费', '费率', '订单金额',
  '费率备注',
] as const;

const REFUND_COLUMNS = [
  '交易时间', '公众账号ID', '商户号', '特约商户号', '设备号', '微信订单号', '商户订单号', '用户标识', '交易类型',
  '交易状态', '付款银行', '货币种类', '应结订单金额', '代金券金额', '退款申请时间', '退款成功时间', '微信退款单号',
  '商户退款单号', '退款金额', '充值券退款金额', '退款类型', '退款状态', '商品名称', '商户数据包', '手续费', '费率',
  '订单金额', '申请退款金额', '费率备注',
] as const;

type Column = (typeof ALL_COLUMNS)[number] | (typeof REFUND_COLUMNS)[number];

const LAYOUTS: Readonly<Record<TradeBillType, readonly Column[]>> = { ALL: ALL_COLUMNS, SUCCESS: SUCCESS_COLUMNS, REFUND: REFUND_COLUMNS };

/** The summary of settlement bills (merchants since 2018, v2 doc note 6; W7's summary header). */
const SUMMARY_COLUMNS = ['总交易单数', '应结订单总金额', '退款总金额', '充值券退款总金额', '手续费总金额', '订单总金额', '申请退款总金额'] as const;

const CRLF = '\r\n';
const BOM = '\uFEFF';

/** Fees are written to 5 decimals (W7 `0.01000`), negative when a refund returns them (the REFUND row quoted below). */
function feeText(fen: number, negative: boolean): string {
  return `${negative && fen !== 0 ? '-' : ''}${formatYuan(fen)}000`;
}

/** The contracted rate as WeChat prints it: `0.60%` (W7 `39.00%`, the 2022 sample `0.90%`). */
export function rateText(rate: string): string {
  const parsed = parseRate(rate);
  return `${formatDecimalAmount(roundHalfUp({ num: parsed.num * 10_000n, den: parsed.den }), 2)}%`;
}

/**
 * A free-text value (商品名称, 商户数据包) kept on its row: rows end at a line break and fields are split on ",`".
 * [UNVERIFIED] what WeChat does with those characters; here line breaks become spaces and backticks apostrophes.
 */
function text(value: string | undefined): string {
  return (value ?? '').replace(/[\r\n]+/g, ' ').replaceAll('`', "'");
}

export interface RowContext {
  readonly rate: string;
  /** REFUND layout only: when each payment (by out_trade_no) succeeded and each refund (by out_refund_no) was credited. */
  readonly paidAt?: ReadonlyMap<string, Date>;
  readonly refundSuccessAt?: ReadonlyMap<string, Date>;
}

/** One row's values by column, in the ALL layout's conventions (W7): `0` for absent ids, `0.00` for absent amounts. */
function valuesOf(row: BillRow, context: RowContext): Record<Column, string> {
  const refund = row.kind === 'refund';
  const successAt = refund && row.refundNo !== undefined ? context.refundSuccessAt?.get(row.refundNo) : undefined;
  // In ALL files a refund row's time is its acceptance (v2 doc: "发起退款成功时间"); REFUND files give that in 退款申请时间
  // and the payment's time in 交易时间, as in a real REFUND row quoted in a public SDK test [3P]: 交易时间
  // 2020-04-01 13:44:57, 退款申请时间 14:16:13, 退款成功时间 14:16:17, 手续费 -1.56000 on a 260.00 refund at 0.60%.
  const paidAt = refund ? context.paidAt?.get(row.orderKey) : undefined;
  return {
    交易时间: formatBeijingTime(paidAt ?? row.at),
    公众账号ID: row.details.appid ?? '',
    商户号: row.merchant,
    // A direct merchant has no sub-merchant: W7 and WxJava's sample bills write `0`.
    特约商户号: '0',
    设备号: '',
    微信订单号: row.tradeNo,
    商户订单号: row.orderKey,
    用户标识: row.details.payerOpenid ?? '',
    交易类型: row.details.tradeType ?? '',
    交易状态: refund ? 'REFUND' : row.status,
    付款银行: 'OTHERS',
    货币种类: 'CNY',
    // No coupons in the sandbox: what is settled is what was ordered; a refund row settles nothing (W7).
    应结订单金额: refund ? '0.00' : formatYuan(row.amount),
    代金券金额: '0.00',
    退款申请时间: refund ? formatBeijingTime(row.at) : '',
    退款成功时间: successAt === undefined ? '' : formatBeijingTime(successAt),
    微信退款单号: refund ? (row.channelRefundNo ?? '') : '0',
    商户退款单号: refund ? (row.refundNo ?? '') : '0',
    退款金额: refund ? formatYuan(row.amount) : '0.00',
    充值券退款金额: '0.00',
    // ORIGINAL: back the way it was paid, where the sandbox sends every refund (refunds.ts, channel ORIGINAL).
    退款类型: refund ? 'ORIGINAL' : '',
    退款状态: refund ? row.status : '',
    商品名称: text(row.description),
    商户数据包: text(row.attach),
    手续费: feeText(row.fee, refund),
    费率: rateText(context.rate),
    订单金额: refund ? '0.00' : formatYuan(row.amount),
    申请退款金额: refund ? formatYuan(row.amount) : '0.00',
    费率备注: '',
  };
}

/**
 * The bill file: BOM, header, one backtick-prefixed row per line, then the summary header and its backtick-prefixed
 * row; CRLF line ends, the last line terminated too (W7). Summary figures are written as in WeChat's 2022 sample
 * (developers.weixin.qq.com/minigame/dev/wxcloudrun/src/development/pay/order/bill.html: `12,`0.06,…,`0.00000,…`)
 * and WxJava's test bills (`4,`0.00,`2.02,`0.00,`-0.02000,…` for a REFUND file): a whole count, amounts to 0.01, the
 * fee total to 5 decimals and net of fees returned. W7's older file writes `45.0` and `0.0`; the parser reads both.
 */
export function tradeBillCsv(rows: readonly BillRow[], type: TradeBillType, context: RowContext): string {
  const columns = LAYOUTS[type];
  const lines: string[] = [columns.join(',')];
  let settlement = 0;
  let refunded = 0;
  let fees = 0;
  let ordered = 0;
  for (const row of rows) {
    const values = valuesOf(row, context);
    lines.push(`\`${columns.map((column) => values[column]).join(',`')}`);
    if (row.kind === 'refund') {
      refunded += row.amount;
      fees -= row.fee;
    } else {
      settlement += row.amount;
      ordered += row.amount;
      fees += row.fee;
    }
  }
  lines.push(SUMMARY_COLUMNS.join(','));
  const summary = [
    String(rows.length),
    formatYuan(settlement),
    formatYuan(refunded),
    '0.00',
    feeText(Math.abs(fees), fees < 0),
    formatYuan(ordered),
    formatYuan(refunded),
  ];
  lines.push(`\`${summary.join(',`')}`);
  return `${BOM}${lines.join(CRLF)}${CRLF}`;
}

function ofType(rows: readonly BillRow[], type: TradeBillType): readonly BillRow[] {
  if (type === 'SUCCESS') return rows.filter((row) => row.kind === 'payment');
  if (type === 'REFUND') return rows.filter((row) => row.kind === 'refund');
  return rows;
}

/** The times the REFUND layout prints besides the row's own: each payment's success, each refund's credit. */
function refundLayoutTimes(orders: OrderBook): Pick<RowContext, 'paidAt' | 'refundSuccessAt'> {
  const paidAt = new Map<string, Date>();
  const refundSuccessAt = new Map<string, Date>();
  for (const order of orders.list()) {
    if (order.channel !== CHANNEL) continue;
    if (order.paidAt !== undefined) paidAt.set(order.key, new Date(order.paidAt));
    for (const refund of refundsOf(order)) if (refund.successAt !== undefined) refundSuccessAt.set(refund.outRefundNo, new Date(refund.successAt));
  }
  return { paidAt, refundSuccessAt };
}

// ---------------------------------------------------------------------------------------------------------
// The endpoints

/** How long a download_url works: "该地址5min内有效" (pay.weixin.qq.com/doc/v3/merchant/4012556654; older pages: 30 s). */
export const DOWNLOAD_TTL_MS = 5 * 60_000;

/**
 * The error answers of 申请交易账单 and 下载账单 (pay.weixin.qq.com/wiki/doc/apiv3/wxpay/pay/bill/chapter3_1.shtml, as
 * quoted in the top.gabin.tools SDK's BillOfTradeResponse; the partner download-fund-bill page lists the same), with
 * the messages WeChat's FAQ quotes (pay.weixin.qq.com/doc/v3/merchant/4013071254).
 */
export const BILL_ERRORS = {
  /** 400 "请先检查当前商户号在指定日期内是否有成功的交易或退款，若有，则在T+1日…后再重新下载"; FAQ: retry after 10:00. */
  creating: { code: 'STATEMENT_CREATING', message: '账单生成中' },
  /** 400 "请检查当前商户号是否在指定日期有交易或退款发生": the day had nothing to bill. */
  none: { code: 'NO_STATEMENT_EXIST', message: '请求的账单文件不存在' },
  /** 400 INVALID_REQUEST "参数错误 … 请检查bill_date"; the message wording is [UNVERIFIED]. */
  badDate: { code: 'INVALID_REQUEST', message: '参数错误：请检查 bill_date，仅支持三个月内的账单下载申请' },
  /** 400 INVALID_REQUEST "请按第一步申请账单的API指引，重新获取账单地址后再请求"; wording [UNVERIFIED]. */
  badToken: { code: 'INVALID_REQUEST', message: '参数错误：下载地址无效或已过期，请重新申请账单' },
} as const satisfies Record<string, ErrorBody>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function queryParamError(field: string, issue: string): ErrorBody {
  return { code: 'PARAM_ERROR', message: `参数错误：${field} ${issue}`, detail: { field, location: 'query', issue } };
}

interface Download {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly expiresAt: number;
}

/**
 * GET /v3/bill/tradebill and the download it points at. Both are signed by the merchant like every v3 call (§1.1).
 * The file is fixed when the download_url is issued, so the hash always describes the bytes served.
 */
export function tradeBillApp(env: WechatpayEnv, context: SandboxContext, entries: () => readonly BillEntry[]): Hono {
  const downloads = new Map<string, Download>();
  const app = new Hono();
  app.use('/v3/bill/*', verifyMerchant(env));
  app.use('/v3/billdownload/*', verifyMerchant(env));

  app.get('/v3/bill/tradebill', (c) => {
    const now = env.clock.now();
    for (const [token, download] of downloads) if (download.expiresAt <= now.getTime()) downloads.delete(token);

    const billDate = c.req.query('bill_date');
    if (billDate === undefined || billDate === '') return errorAnswer(env, 400, queryParamError('bill_date', '为必填参数'));
    const date = DATE.test(billDate) ? parseDay(billDate) : undefined;
    if (date === undefined) return errorAnswer(env, 400, queryParamError('bill_date', '格式应为 yyyy-MM-DD'));
    const billType = c.req.query('bill_type') ?? 'ALL';
    // RECHARGE_REFUND and the personalised *_SPECIAL bills need coupons or a separate activation the sandbox
    // merchant does not have; [UNVERIFIED] how WeChat refuses them, here as an unsupported value.
    if (!(TRADE_BILL_TYPES as readonly string[]).includes(billType)) {
      return errorAnswer(env, 400, queryParamError('bill_type', '应为 ALL、SUCCESS 或 REFUND'));
    }
    const tarType = c.req.query('tar_type');
    if (tarType !== undefined && tarType !== 'GZIP') return errorAnswer(env, 400, queryParamError('tar_type', '仅支持 GZIP'));

    // "仅支持三个月内的账单下载申请" (§1.9). A day still to come is refused the same way [UNVERIFIED]; today is merely
    // not generated yet (STATEMENT_CREATING below).
    const today = toBeijing(now);
    if (billDate < formatDay(addMonths(today, -3)) || billDate > formatDay(today)) return errorAnswer(env, 400, BILL_ERRORS.badDate);

    const bill = dayBill(CHANNEL, billDate, entries(), context.bills, env.clock);
    if (bill.kind === 'not-ready') return errorAnswer(env, 400, BILL_ERRORS.creating);
    const rows = ofType(bill.rows, billType as TradeBillType);
    if (rows.length === 0) return errorAnswer(env, 400, BILL_ERRORS.none);

    const times = billType === 'REFUND' ? refundLayoutTimes(context.orders) : {};
    const file = Buffer.from(tradeBillCsv(rows, billType as TradeBillType, { rate: SANDBOX_FEE_TERMS.wechatpay.rate, ...times }), 'utf8');
    const gzip = tarType === 'GZIP';
    const token = randomBytes(36).toString('base64url');
    downloads.set(token, { body: new Uint8Array(gzip ? gzipSync(file) : file), expiresAt: now.getTime() + DOWNLOAD_TTL_MS });
    // WeChat's URLs carry `&tartype=gzip` for compressed bills (an answer quoted at
    // developers.weixin.qq.com/community/develop/doc/000626286f08d843e9ee29c295d000); the query is signed with the rest.
    const url = `${context.publicUrl}/v3/billdownload/file?token=${token}${gzip ? '&tartype=gzip' : ''}`;
    // The hash is SHA1 of the file itself, before gzip ("原始账单（gzip需要解压缩）的摘要值", §1).
    return signedAnswer(env, 200, { hash_type: 'SHA1', hash_value: createHash('sha1').update(file).digest('hex'), download_url: url });
  });

  app.get('/v3/billdownload/file', (c) => {
    const token = c.req.query('token') ?? '';
    const download = downloads.get(token);
    if (download === undefined || download.expiresAt <= env.clock.now().getTime()) return errorAnswer(env, 400, BILL_ERRORS.badToken);
    // WeChat's 403 NO_AUTH (a download by another merchant than the one that applied) cannot arise here: the
    // signature check already holds every request to the sandbox's one mchid.
    // The file stream, deliberately without Wechatpay-* signature headers: downloads are checked by the hash (§1.2;
    // FAQ 4013071254 "由于下载账单微信不返回签名头信息"). A gzip file, not a gzip transfer encoding: no Content-Encoding.
    return new Response(download.body, {
      status: 200,
      headers: { 'Content-Type': 'application/octet-stream', 'Request-ID': requestId() },
    });
  });

  return app;
}
