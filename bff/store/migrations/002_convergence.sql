-- Status that converges: jobs claimed with FOR UPDATE SKIP LOCKED, the notification inbox tied to what it is about,
-- merchant webhook deliveries, and automatic refunds of payments that must not stand.

CREATE TABLE jobs (
  id            bigserial PRIMARY KEY,
  kind          text NOT NULL,
  ref           text NOT NULL,
  run_at        timestamptz NOT NULL,
  attempts      integer NOT NULL DEFAULT 0,
  locked_until  timestamptz,
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- One pending job per kind and object: scheduling again moves it rather than adding a second.
  UNIQUE (kind, ref)
);
CREATE INDEX jobs_due ON jobs (run_at);

ALTER TABLE notification_inbox ADD COLUMN status text NOT NULL DEFAULT 'received'
  CHECK (status IN ('received', 'applied', 'rejected', 'mismatch', 'ignored'));
ALTER TABLE notification_inbox ADD COLUMN merchant_id text REFERENCES merchants (id);
ALTER TABLE notification_inbox ADD COLUMN order_id text REFERENCES orders (id);
ALTER TABLE notification_inbox ADD COLUMN subject jsonb;
CREATE INDEX notification_inbox_pending ON notification_inbox (received_at) WHERE status = 'received';
CREATE INDEX notification_inbox_merchant ON notification_inbox (merchant_id, received_at);

ALTER TABLE webhook_outbox ADD COLUMN event_type text NOT NULL DEFAULT '';
ALTER TABLE webhook_outbox ADD CONSTRAINT webhook_outbox_event UNIQUE (event_id);

CREATE TABLE webhook_deliveries (
  id           bigserial PRIMARY KEY,
  outbox_id    text NOT NULL REFERENCES webhook_outbox (id),
  attempt      integer NOT NULL,
  status_code  integer,
  error        text,
  duration_ms  integer NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_outbox ON webhook_deliveries (outbox_id, id);

-- Refunds the system makes by itself (a second success on one order, a payment after the order closed) carry why.
ALTER TABLE refunds ADD COLUMN origin text NOT NULL DEFAULT 'merchant' CHECK (origin IN ('merchant', 'duplicate-payment', 'late-payment'));
ALTER TABLE refunds ADD COLUMN channel text;
ALTER TABLE refunds ADD COLUMN failure jsonb;
ALTER TABLE refunds ADD COLUMN succeeded_at timestamptz;
ALTER TABLE refunds ADD COLUMN funds_account text;
CREATE UNIQUE INDEX refunds_channel_no ON refunds (channel, channel_refund_no);
