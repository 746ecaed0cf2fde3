// Matching rules of reconciliation, on PGlite and PostgreSQL: every item type, the one-day wait, re-runs, and a
// bill that cannot be read. The bill comes from a stand-in adapter here (the channel is outside the system); the
// channels' real bills are reconciled end to end against the sandbox in test/integration/reconciliation.test.ts.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BillLine, BillSummary } from '../bills/types.ts';
import { BillError, toParsedBill } from '../bills/types.ts';
import type { BillOutcome, ChannelAdapter } from '../channels/types.ts';
import type { Deps } from '../deps.ts';
import type { Db } from '../store/db.ts';
import { createMerchant } from '../store/orders.ts';
import { testEngines } from '../store/testing.ts';
import { countDay, reconcileDay } from './index.ts';

const DAY = '2026-11-26';
const NEXT = '2026-11-27';
/** 12:00 Beijing on `day`. */
const noon = (day: string) => new Date(`${day}T12:00:00+08:00`);

for (const engine of testEngines()) {
  describe(`reconciliation (${engine.name})`, () => {
    let db: Db;
    let bills: Map<string, BillOutcome | (() => BillOutcome)>;
    let deps: Deps;
    let seq = 0;

    beforeAll(async () => {
      db = await engine.open();
      await createMerchant(db, { id: 'mch_r', name: 'R', apiKey: 'sk_r', settings: { channels: [{ id: 'wechatpay' }] } });
    });
    afterAll(() => db.close());
    beforeEach(async () => {
      for (const table of ['reconciliation_items', 'reconciliation_lines', 'reconciliation_runs', 'events', 'refunds', 'payment_attempts', 'orders']) {
        await db.query(`DELETE FROM ${table}`);
      }
      bills = new Map();
      const adapter = {
        id: 'wechatpay',
        bill: async (day: string) => {
          const bill = bills.get(day);
          if (!bill) return { kind: 'no-bill', message: 'no transactions' };
          return typeof bill === 'function' ? bill() : bill;
        },
      } as unknown as ChannelAdapter;
      deps = { db, adapters: { wechatpay: adapter }, publicUrl: 'https://pay.example', now: () => new Date('2026-11-28T03:00:00Z'), log: () => {} };
    });

    /** A settled payment of ours: order, winning attempt with its fee, paid at `paidAt`. */
    async function payment(amount: number, paidAt: Date, fee: number | null = Math.round(amount * 0.006)): Promise<{ orderId: string; attemptId: string; no: string }> {
      seq += 1;
      const no = `P${String(seq).padStart(10, '0')}`;
      const orderId = `ord_${seq}`;
      const attemptId = `att_${seq}`;
      await db.query(
        `INSERT INTO orders (id, merchant_id, merchant_order_no, amount, currency, subject, request_hash, status, expires_at)
         VALUES ($1, 'mch_r', $2, $3, 'CNY', 'Tea', 'h', 'succeeded', $4)`,
        [orderId, `m${seq}`, amount, new Date(paidAt.getTime() + 3_600_000)],
      );
      await db.query(
        `INSERT INTO payment_attempts (id, order_id, channel, product, option_id, channel_order_no, amount, status, paid_at, expires_at, fee_charged)
         VALUES ($1, $2, 'wechatpay', 'native', 'wechatpay:native', $3, $4, 'succeeded', $5, $5, $6)`,
        [attemptId, orderId, no, amount, paidAt, fee],
      );
      return { orderId, attemptId, no };
    }

    async function refund(of: { orderId: string; attemptId: string }, amount: number, at: Date, fee: number, status = 'succeeded'): Promise<string> {
      seq += 1;
      const no = `R${String(seq).padStart(10, '0')}`;
      await db.query(
        `INSERT INTO refunds (id, order_id, attempt_id, merchant_refund_no, amount, fee_returned, status, channel, channel_refund_no, succeeded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'wechatpay', $8, $9)`,
        [`rfd_${seq}`, of.orderId, of.attemptId, `mr${seq}`, amount, fee, status, no, status === 'succeeded' ? at : null],
      );
      return no;
    }

    function line(kind: 'payment' | 'refund', no: string, amount: number, fee: number, at: Date, extra: Partial<BillLine> = {}): BillLine {
      return { kind, channelOrderNo: kind === 'payment' ? no : 'P0', ...(kind === 'refund' ? { refundNo: no } : {}), amount, fee, status: 'SUCCESS', at, line: 0, ...extra };
    }

    function bill(day: string, lines: BillLine[]): void {
      bills.set(day, () => ({
        kind: 'ready',
        bill: toParsedBill<BillLine, BillSummary>(async function* () {
          let n = 1;
          for (const l of lines) yield { ...l, line: (n += 1) };
          return { channel: 'wechatpay', rows: lines.length, settlementTotal: 0, refundTotal: 0, couponRefundTotal: 0, feeTotal: 0, orderTotal: 0, requestedRefundTotal: 0 };
        }),
      }));
    }

    const items = async (day: string) =>
      db.query<{ kind: string; key: string; type: string; state: string; merchant_id: string | null }>(
        'SELECT kind, key, type, state, merchant_id FROM reconciliation_items WHERE bill_date = $1 ORDER BY kind, key, type',
        [day],
      );

    it('matches a clean day and raises nothing', async () => {
      const p = await payment(10_000, noon(DAY));
      const r = await refund(p, 4_000, noon(DAY), 24);
      bill(DAY, [line('payment', p.no, 10_000, 60, noon(DAY)), line('refund', r, 4_000, 24, noon(DAY))]);
      const result = await reconcileDay(deps, 'wechatpay', DAY);
      expect(result.status).toBe('done');
      if (result.status !== 'done') return;
      expect(result.counts).toMatchObject({ lines: 2, matched: 2, waiting: 0, open: 0 });
      expect(await items(DAY)).toEqual([]);
    });

    it('finds every kind of discrepancy, and raises the unmatched ones only after the next day', async () => {
      const amount = await payment(10_000, noon(DAY));
      const fee = await payment(20_000, noon(DAY));
      const unpaid = await payment(5_000, noon(DAY));
      await db.query(`UPDATE payment_attempts SET status = 'closed', paid_at = NULL WHERE channel_order_no = $1`, [unpaid.no]);
      const oursOnly = await payment(7_000, noon(DAY));
      const refunded = await payment(9_000, noon(DAY));
      const refundNo = await refund(refunded, 1_000, noon(DAY), 6);
      // Billed while still under way at WeChat, settled since: no disagreement.
      const underWay = await refund(refunded, 500, noon(DAY), 3);
      // Billed as settled while ours is still processing: a disagreement, which may converge, so it waits.
      const behind = await refund(refunded, 700, noon(DAY), 4, 'processing');
      bill(DAY, [
        line('payment', amount.no, 10_001, 60, noon(DAY)),
        line('payment', fee.no, 20_000, 121, noon(DAY)),
        line('payment', unpaid.no, 5_000, 30, noon(DAY)),
        line('payment', 'PNOBODY00001', 3_000, 18, noon(DAY)),
        line('payment', refunded.no, 9_000, 54, noon(DAY)),
        line('refund', refundNo, 1_000, 6, noon(DAY), { status: 'ABNORMAL' }),
        line('refund', underWay, 500, 3, noon(DAY), { status: 'PROCESSING' }),
        line('refund', behind, 700, 4, noon(DAY)),
      ]);
      await reconcileDay(deps, 'wechatpay', DAY);
      expect(await items(DAY)).toEqual([
        { kind: 'payment', key: amount.no, type: 'amount_mismatch', state: 'open', merchant_id: 'mch_r' },
        { kind: 'payment', key: fee.no, type: 'fee_mismatch', state: 'open', merchant_id: 'mch_r' },
        { kind: 'payment', key: unpaid.no, type: 'status_mismatch', state: 'waiting', merchant_id: 'mch_r' },
        { kind: 'payment', key: oursOnly.no, type: 'ours_only', state: 'waiting', merchant_id: 'mch_r' },
        { kind: 'payment', key: 'PNOBODY00001', type: 'channel_only', state: 'waiting', merchant_id: null },
        { kind: 'refund', key: refundNo, type: 'status_mismatch', state: 'waiting', merchant_id: 'mch_r' },
        { kind: 'refund', key: behind, type: 'status_mismatch', state: 'waiting', merchant_id: 'mch_r' },
      ].sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key) || a.type.localeCompare(b.type)));

      // The next day's bill is in: what was still unmatched is raised.
      bill(NEXT, []);
      await reconcileDay(deps, 'wechatpay', NEXT);
      const after = await items(DAY);
      expect(after.filter((i) => i.state === 'waiting')).toEqual([]);
      expect(after.map((i) => i.type).sort()).toEqual([
        'amount_mismatch', 'channel_only', 'fee_mismatch', 'ours_only', 'status_mismatch', 'status_mismatch', 'status_mismatch',
      ]);
      const counts = await countDay(db, 'wechatpay', DAY);
      expect(counts).toMatchObject({ lines: 8, matched: 2, open: 7, waiting: 0 });
    });

    it('lets a payment near midnight match in the next day’s bill instead of raising it', async () => {
      const late = await payment(8_800, new Date(`${DAY}T23:59:59.900+08:00`));
      bill(DAY, []);
      await reconcileDay(deps, 'wechatpay', DAY);
      expect(await items(DAY)).toMatchObject([{ key: late.no, type: 'ours_only', state: 'waiting' }]);
      // The channel stamped it 00:00:00.2: it is in the next day's bill.
      bill(NEXT, [line('payment', late.no, 8_800, 53, new Date(`${NEXT}T00:00:00.200+08:00`))]);
      await reconcileDay(deps, 'wechatpay', NEXT);
      expect(await items(DAY)).toEqual([]);
      expect(await items(NEXT)).toEqual([]);
    });

    it('gives the same result when a day is run again, and keeps what a person resolved', async () => {
      const p = await payment(10_000, noon(DAY));
      bill(DAY, [line('payment', p.no, 10_000, 61, noon(DAY)), line('payment', 'PNOBODY00002', 100, 1, noon(DAY))]);
      await reconcileDay(deps, 'wechatpay', DAY);
      const first = await db.query('SELECT id, type, state FROM reconciliation_items ORDER BY id');
      await db.query(`UPDATE reconciliation_items SET state = 'resolved', resolution = 'fee agreed' WHERE type = 'fee_mismatch'`);
      await reconcileDay(deps, 'wechatpay', DAY);
      const second = await db.query<{ id: string; type: string; state: string }>('SELECT id, type, state FROM reconciliation_items ORDER BY id');
      expect(second.map((i) => i.id)).toEqual(first.map((i) => (i as { id: string }).id));
      expect(second.find((i) => i.type === 'fee_mismatch')?.state).toBe('resolved');
      expect(await db.query('SELECT count(*)::int AS n FROM reconciliation_lines')).toEqual([{ n: 2 }]);
    });

    it('keeps nothing of a bill that cannot be read, and says why', async () => {
      const p = await payment(10_000, noon(DAY));
      bills.set(DAY, () => ({
        kind: 'ready',
        bill: toParsedBill<BillLine, BillSummary>(async function* () {
          yield line('payment', p.no, 10_000, 60, noon(DAY));
          throw new BillError('summary_mismatch', 'the rows add up to 100.00, the summary says 99.00', 9);
        }),
      }));
      const result = await reconcileDay(deps, 'wechatpay', DAY);
      expect(result).toMatchObject({ status: 'failed', code: 'bill_summary_mismatch' });
      expect(await db.query('SELECT count(*)::int AS n FROM reconciliation_lines')).toEqual([{ n: 0 }]);
      expect(await db.query(`SELECT status, last_error->>'code' AS code FROM reconciliation_runs`)).toEqual([{ status: 'failed', code: 'bill_summary_mismatch' }]);
    });

    it('waits for a bill that is not out yet, and lets only one process run a day at a time', async () => {
      bills.set(DAY, { kind: 'not-ready', message: 'STATEMENT_CREATING' });
      expect(await reconcileDay(deps, 'wechatpay', DAY)).toMatchObject({ status: 'not-ready' });
      // The first run holds the day while its download is still streaming; a second one meanwhile is turned away.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      bills.set(DAY, () => ({
        kind: 'ready',
        bill: toParsedBill<BillLine, BillSummary>(async function* () {
          await gate;
          return { channel: 'wechatpay', rows: 0, settlementTotal: 0, refundTotal: 0, couponRefundTotal: 0, feeTotal: 0, orderTotal: 0, requestedRefundTotal: 0 };
        }),
      }));
      const first = reconcileDay(deps, 'wechatpay', DAY);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await reconcileDay(deps, 'wechatpay', DAY)).toMatchObject({ status: 'busy' });
      release();
      expect(await first).toMatchObject({ status: 'done' });
    });
  });
}
