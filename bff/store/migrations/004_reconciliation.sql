-- Reconciliation against the channels' daily bills (DESIGN.md §9). A day's bill is loaded line by line into
-- reconciliation_lines, then matched against our payments and refunds by channel order / refund number in set-based
-- SQL; what disagrees becomes a reconciliation_item. Re-running a day replaces its lines and recomputes its items.

-- The fee the channel charges on this payment by the merchant's contracted terms at the time (shared/fees), so that
-- reconciliation compares the bill's fee with the rulebook's, and refunds return fee from the same figure.
ALTER TABLE payment_attempts ADD COLUMN fee_charged bigint CHECK (fee_charged >= 0);

CREATE TABLE reconciliation_runs (
  channel       text NOT NULL,
  bill_date     date NOT NULL,
  status        text NOT NULL CHECK (status IN ('scheduled', 'running', 'done', 'failed')),
  -- A run holds this lease while it loads and matches; another process may take the run over once it lapses.
  lease_until   timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    jsonb,
  bill_lines    integer,
  bill_summary  jsonb,
  counts        jsonb,
  started_at    timestamptz,
  finished_at   timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, bill_date)
);

CREATE TABLE reconciliation_lines (
  channel           text NOT NULL,
  bill_date         date NOT NULL,
  line              integer NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('payment', 'refund')),
  channel_order_no  text NOT NULL,
  channel_trade_no  text,
  refund_no         text,
  amount            bigint NOT NULL,
  fee               bigint,
  status            text NOT NULL,
  at                timestamptz NOT NULL
);
CREATE INDEX reconciliation_lines_day ON reconciliation_lines (channel, bill_date);
CREATE INDEX reconciliation_lines_order ON reconciliation_lines (channel, channel_order_no) WHERE kind = 'payment';
CREATE INDEX reconciliation_lines_refund ON reconciliation_lines (channel, refund_no) WHERE kind = 'refund';

CREATE TABLE reconciliation_items (
  id           text PRIMARY KEY,
  channel      text NOT NULL,
  bill_date    date NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('payment', 'refund')),
  -- The channel order number (payments) or our refund number at the channel (refunds).
  key          text NOT NULL,
  type         text NOT NULL CHECK (type IN ('channel_only', 'ours_only', 'amount_mismatch', 'status_mismatch', 'fee_mismatch')),
  -- waiting: an unmatched line (or a status that may still converge) waits for the next day's bill before it is raised.
  state        text NOT NULL CHECK (state IN ('waiting', 'open', 'resolved')),
  merchant_id  text REFERENCES merchants (id),
  order_id     text REFERENCES orders (id),
  ours         jsonb,
  theirs       jsonb,
  resolution   text,
  resolved_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, bill_date, kind, key, type)
);
CREATE INDEX reconciliation_items_merchant ON reconciliation_items (merchant_id, bill_date);
-- Ours-only detection looks our records up by success time within a clearing window.
CREATE INDEX payment_attempts_paid ON payment_attempts (channel, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX refunds_succeeded ON refunds (channel, succeeded_at) WHERE succeeded_at IS NOT NULL;
