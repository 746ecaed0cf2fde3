// UnionPay ZM bill parser: three lines of a published test-environment ZM file (pingjianwei/csv_parser
// `tests/INN17071888ZM_898319849000018`, verbatim but for trailing blanks written as a count) as known answers, and
// lines built here to the official SDK's field widths (parseZMFile) for refunds and malformed input, zipped with
// fflate and fed in odd chunk sizes.

import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { encodeGbk } from './generate.ts';
import { isBillError, type BillLine } from './types.ts';
import { parseUnionpayBillZip, parseUnionpayZm } from './unionpay.ts';

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
async function collect<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

// Published lines (the 98-byte reserved field and the one before it are blank: 132 trailing spaces).
const PUBLISHED = [
  'S22 48022901    00040000    005607 0718215916 622280*********0000 000002500000 4900 07 201707182159160056078 05 20170718215916038602200          01                   D000000000024 C000002499976 0201                 01    000201                                                                  898319849000018   000000000000000                                   000000000000 C000002499976 01080209 test                              000000000000  000000000000  00000000000    7',
  // 商户自定义域 账户充值 is 8 GBK bytes padded to 32: fields are counted in bytes, not characters.
  'S22 48022901    00040000    028804 0718024352 622280*********0000 000001443600 4900 07 201707180243520288048 05 20170718024352543740924          01                   D000000000024 C000001443576 0201                 01    000201                                                                  898319849000018   000000000000000                                   000000000000 C000001443576 01080209 账户充值                          000000000000  000000000000  00000000000    7',
  // 2017-07-17 23:40 Beijing, in the 0718 file: after the 23:00 cut-off it belongs to the next clearing day.
  'S22 48022901    00040000    061050 0717234009 622280*********0000 000010000000 4900 07 201707172340090610508 05 20170717234009802330107          01                   D000000000024 C000009999976 0201                 01    000201                                                                  898319849000018   000000000000000                                   000000000000 C000009999976 01080209 test                              000000000000  000000000000  00000000000    7',
].map((line) => `${line}${' '.repeat(132)}`);

const MER_ID = '898319849000018';
const PUBLISHED_LINES: BillLine[] = [
  { kind: 'payment', channelOrderNo: '20170718215916038602200', channelTradeNo: '201707182159160056078', amount: 2_500_000, fee: 24, status: 'S22', at: new Date('2017-07-18T13:59:16Z'), attach: 'test', line: 1 },
  { kind: 'payment', channelOrderNo: '20170718024352543740924', channelTradeNo: '201707180243520288048', amount: 1_443_600, fee: 24, status: 'S22', at: new Date('2017-07-17T18:43:52Z'), attach: '账户充值', line: 2 },
  { kind: 'payment', channelOrderNo: '20170717234009802330107', channelTradeNo: '201707172340090610508', amount: 10_000_000, fee: 24, status: 'S22', at: new Date('2017-07-17T15:40:09Z'), attach: 'test', line: 3 },
];

const zmFile = (lines: readonly string[]) => encodeGbk(lines.map((line) => `${line}\r\n`).join(''));

// The official SDK's widths (parseZMFile), written out again so the parser's own table is checked, not reused.
const WIDTHS = [3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21, 15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98];

/** A ZM line from 1-based field positions; left-justified, blank-padded, in GBK byte widths. */
function zmLine(values: Readonly<Record<number, string>>): string {
  return WIDTHS.map((width, index) => {
    const value = values[index + 1] ?? '';
    const bytes = encodeGbk(value).length;
    if (bytes > width) throw new Error(`field ${index + 1} is ${bytes} bytes, wider than ${width}`);
    return value + ' '.repeat(width - bytes);
  }).join(' ');
}

const CONSUME = { 1: 'S22', 4: '000001', 5: '1126103000', 7: '000000012800', 10: '781126103000123456789', 12: '261126103000AB12', 16: 'D000000000077', 17: 'C000000012723', 20: '01', 21: '01', 22: '000201', 28: '777290058110097', 33: 'C000000012723', 35: 'cart-42' };
const REFUND = {
  1: 'S30',
  4: '000002',
  5: '1126113000',
  7: '000000005000',
  10: '781126113000987654321',
  12: '261126112959RF01',
  14: '000001',
  15: '1126103000',
  16: 'C000000000030',
  17: 'D000000004970',
  20: '04',
  21: '00',
  22: '000201',
  27: '781126103000123456789',
  28: '777290058110097',
  35: '261126103000AB12',
  41: '261126103000AB12',
};

describe('UnionPay ZM file', () => {
  for (const size of [1, 7, 4096]) {
    it(`reads the published lines, GBK fields by byte width, with ${size}-byte chunks`, async () => {
      const parsed = parseUnionpayZm(chunked(zmFile(PUBLISHED), size), { day: '2017-07-18', merId: MER_ID });
      expect(await collect(parsed.lines)).toEqual(PUBLISHED_LINES);
      expect(await parsed.summary).toEqual({ channel: 'unionpay', rows: 3, paymentTotal: 13_943_600, refundTotal: 0 });
    });
  }

  it('reads a refund: its own orderId and queryId, the payment by origQryId and field 41, the fee returned', async () => {
    const withoutOrig = { ...REFUND, 41: '' };
    const parsed = parseUnionpayZm(chunked(zmFile([zmLine(CONSUME), zmLine(REFUND), zmLine(withoutOrig)]), 64), { day: '2026-11-26' });
    const refund = {
      kind: 'refund',
      channelOrderNo: '261126103000AB12',
      channelTradeNo: '781126103000123456789',
      refundNo: '261126112959RF01',
      channelRefundNo: '781126113000987654321',
      amount: 5000,
      fee: 30,
      status: 'S30',
      at: new Date('2026-11-26T03:30:00Z'),
      attach: '261126103000AB12',
      line: 2,
    };
    expect(await collect(parsed.lines)).toEqual([
      { kind: 'payment', channelOrderNo: '261126103000AB12', channelTradeNo: '781126103000123456789', amount: 12_800, fee: 77, status: 'S22', at: new Date('2026-11-26T02:30:00Z'), attach: 'cart-42', line: 1 },
      refund,
      // Without field 41 the refund's own orderId is all the line says about an order.
      { ...refund, channelOrderNo: '261126112959RF01', line: 3 },
    ]);
    expect(await parsed.summary).toEqual({ channel: 'unionpay', rows: 3, paymentTotal: 12_800, refundTotal: 10_000 });
  });

  it('takes the year from the clearing day: a December line in a January file is the year before', async () => {
    const lines = [zmLine({ ...CONSUME, 5: '1231233000' }), zmLine({ ...CONSUME, 5: '0101120000' })];
    const parsed = parseUnionpayZm(chunked(zmFile(lines), 4096), { day: '2027-01-01' });
    expect((await collect(parsed.lines)).map((line) => line.at)).toEqual([new Date('2026-12-31T15:30:00Z'), new Date('2027-01-01T04:00:00Z')]);
  });

  it('accepts LF line ends, a last line without one, blank lines, and an empty file', async () => {
    const text = encodeGbk(`${zmLine(CONSUME)}\n\n${zmLine(REFUND)}`);
    const parsed = parseUnionpayZm(chunked(text, 5), { day: '2026-11-26' });
    expect((await collect(parsed.lines)).map((line) => [line.kind, line.line])).toEqual([['payment', 1], ['refund', 3]]);
    const empty = parseUnionpayZm(chunked(new Uint8Array(0), 5), { day: '2026-11-26' });
    expect(await collect(empty.lines)).toEqual([]);
    expect(await empty.summary).toEqual({ channel: 'unionpay', rows: 0, paymentTotal: 0, refundTotal: 0 });
  });
});

async function failure(bytes: Uint8Array, options: { day: string; merId?: string } = { day: '2026-11-26' }): Promise<{ code: string; line: number | undefined }> {
  const parsed = parseUnionpayZm(chunked(bytes, 9), options);
  try {
    await collect(parsed.lines);
  } catch (error) {
    if (!isBillError(error)) throw error;
    await expect(parsed.summary).rejects.toBe(error);
    return { code: error.code, line: error.line };
  }
  throw new Error('the bill parsed');
}

describe('malformed ZM files', () => {
  const good = zmLine(CONSUME);
  const bad = (values: Record<number, string>) => zmFile([good, zmLine({ ...CONSUME, ...values })]);

  it('names the line of a wrong length and of misaligned fields', async () => {
    expect(await failure(zmFile([good, `${good} `]))).toEqual({ code: 'field_count', line: 2 });
    expect(await failure(zmFile([good, good.slice(0, -1)]))).toEqual({ code: 'field_count', line: 2 });
    // Same length, but the orderId runs one byte into the next separator.
    const shifted = `${good.slice(0, 112)}X${good.slice(113, 144)}Y${good.slice(145)}`;
    expect(shifted.length).toBe(607);
    expect(await failure(zmFile([good, shifted]))).toEqual({ code: 'bad_row', line: 2 });
  });

  it('refuses transaction types it does not know instead of skipping them', async () => {
    expect(await failure(bad({ 20: '31' }))).toEqual({ code: 'unknown_row_type', line: 2 });
  });

  it('names the line of a bad amount, fee, settleAmt, time, orderId, queryId, refund origin or merchant', async () => {
    expect(await failure(bad({ 7: '00000001280X' }))).toEqual({ code: 'bad_amount', line: 2 });
    expect(await failure(bad({ 7: '12800' }))).toEqual({ code: 'bad_amount', line: 2 });
    expect(await failure(bad({ 16: '-000000000077' }))).toEqual({ code: 'bad_fee', line: 2 });
    expect(await failure(bad({ 16: '0.77' }))).toEqual({ code: 'bad_fee', line: 2 });
    expect(await failure(bad({ 17: 'C12723' }))).toEqual({ code: 'bad_amount', line: 2 });
    expect(await failure(bad({ 5: '1132103000' }))).toEqual({ code: 'bad_time', line: 2 });
    expect(await failure(bad({ 5: '0229120000' }))).toEqual({ code: 'bad_time', line: 2 }); // 2026 has no 29 February
    expect(await failure(bad({ 12: '' }))).toEqual({ code: 'bad_row', line: 2 });
    expect(await failure(bad({ 10: '' }))).toEqual({ code: 'bad_row', line: 2 });
    expect(await failure(zmFile([good, zmLine({ ...REFUND, 27: '' })]))).toEqual({ code: 'bad_row', line: 2 });
    expect(await failure(zmFile([good]), { day: '2026-11-26', merId: '777290058110098' })).toEqual({ code: 'bad_row', line: 1 });
  });

  it('refuses bytes that are not GBK, and a character cut by a field edge', async () => {
    const bytes = zmFile([good, good]);
    const broken = bytes.slice();
    broken.set([0x81, 0x7f], 607 + 2 + 397 + 7); // after line 2's reqReserved "cart-42": 0x7F ends no GBK pair
    expect(await failure(broken)).toEqual({ code: 'bad_encoding', line: 2 });
    // 31 ASCII bytes and a 2-byte character make 33: the character's second byte lands on the separator.
    const cut = encodeGbk(`${good}\r\n${good.slice(0, 397)}${'a'.repeat(31)}值${good.slice(430)}\r\n`);
    expect(cut.length).toBe(2 * 609);
    expect(await failure(cut)).toMatchObject({ line: 2 });
  });
});

describe('UnionPay bill ZIP', () => {
  const zip = (entries: Record<string, Uint8Array>, level: 0 | 6 = 6) => zipSync(entries, { level });
  const ZM = 'INN17071888ZM_898319849000018';
  const ZME = 'INN17071888ZME_898319849000018';

  it('finds the ZM entry beside the ZME entry, takes the day from its name, and parses it in odd chunks', async () => {
    const bytes = zip({ [ZME]: encodeGbk(''), [ZM]: zmFile(PUBLISHED) });
    for (const size of [13, 4096]) {
      const parsed = parseUnionpayBillZip(chunked(bytes, size), { merId: MER_ID });
      expect(await collect(parsed.lines)).toEqual(PUBLISHED_LINES);
      expect(await parsed.summary).toMatchObject({ rows: 3 });
    }
  });

  it('refuses a ZIP for another day, without a ZM entry, with two, or cut short', async () => {
    const code = async (bytes: Uint8Array, day?: string) => {
      const parsed = parseUnionpayBillZip(chunked(bytes, 4096), day === undefined ? {} : { day });
      const error = await collect(parsed.lines).then(() => undefined, (caught: unknown) => caught);
      await expect(parsed.summary).rejects.toBe(error);
      return isBillError(error) ? error.code : String(error);
    };
    expect(await code(zip({ [ZM]: zmFile(PUBLISHED) }), '2017-07-19')).toBe('bad_header');
    expect(await code(zip({ [ZME]: encodeGbk('') }))).toBe('no_detail_entry');
    expect(await code(zip({ [ZM]: zmFile(PUBLISHED), [`a/${ZM}`]: zmFile(PUBLISHED) }))).toBe('no_detail_entry');
    expect(await code(zip({ 'ZM_nodate': zmFile(PUBLISHED) }))).toBe('bad_header');
    const whole = zip({ [ZM]: zmFile(PUBLISHED) }, 0);
    expect(await code(whole.subarray(0, 900))).toBe('bad_zip');
  });

  it('parses a 20,000-line ZIP with the right sums', async () => {
    const lines: string[] = [];
    let paid = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const amount = 100 + (i % 977);
      paid += amount;
      lines.push(zmLine({ ...CONSUME, 7: String(amount).padStart(12, '0'), 12: `O${String(i).padStart(10, '0')}` }));
    }
    const parsed = parseUnionpayBillZip(chunked(zip({ 'INN26112688ZM_777290058110097': zmFile(lines) }), 16_384));
    let count = 0;
    let sum = 0;
    for await (const line of parsed.lines) (count += 1), (sum += line.amount);
    expect({ count, sum }).toEqual({ count: 20_000, sum: paid });
    expect(await parsed.summary).toEqual({ channel: 'unionpay', rows: 20_000, paymentTotal: paid, refundTotal: 0 });
  });
});
