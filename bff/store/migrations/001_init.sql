-- The BFF's state. Money is bigint minor units. Every row that changes state carries a version for
-- compare-and-set updates, and every change appends an event in the same transaction.

CREATE TABLE merchants (
  id             text PRIMARY KEY,
  name           text NOT NULL,
  -- SHA-256 of the secret API key: keys are random and long, so a fast hash is enough and nothing reversible is kept.
  api_key_hash   text NOT NULL UNIQUE,
  settings       jsonb NOT NULL,
  allowed_origins jsonb NOT NULL DEFAULT '[]',
  webhook_url    text,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id                   text PRIMARY KEY,
  merchant_id          text NOT NULL REFERENCES merchants (id),
  merchant_order_no    text NOT NULL,
  amount               bigint NOT NULL CHECK (amount > 0),
  currency             text NOT NULL,
  subject              text NOT NULL,
  description          text,
  attach               text,
  metadata             jsonb NOT NULL DEFAULT '{}',
  channels             jsonb,
  installments         jsonb,
  credit_cards_allowed boolean,
  webhook_url          text,
  allowed_origins      jsonb,
  request_hash         text NOT NULL,
  status               text NOT NULL CHECK (status IN ('open', 'paying', 'succeeded', 'closed', 'failed')),
  amount_refunded      bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0 AND amount_refunded <= amount),
  expires_at           timestamptz NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  version              integer NOT NULL DEFAULT 1,
  UNIQUE (merchant_id, merchant_order_no)
);

CREATE TABLE payment_attempts (
  id                text PRIMARY KEY,
  order_id          text NOT NULL REFERENCES orders (id),
  channel           text NOT NULL,
  product           text NOT NULL,
  option_id         text NOT NULL,
  installment       jsonb,
  channel_order_no  text NOT NULL,
  channel_trade_no  text,
  amount            bigint NOT NULL CHECK (amount > 0),
  -- duplicate: paid at the channel after another attempt of the order had won; it is to be refunded.
  status            text NOT NULL CHECK (status IN ('created', 'pending', 'unknown', 'succeeded', 'duplicate', 'failed', 'closed')),
  action            jsonb,
  failure           jsonb,
  paid_at           timestamptz,
  expires_at        timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  version           integer NOT NULL DEFAULT 1,
  UNIQUE (channel, channel_order_no)
);
CREATE INDEX payment_attempts_order ON payment_attempts (order_id);
-- At most one attempt of an order ever wins: the database refuses a second success.
CREATE UNIQUE INDEX payment_attempts_one_success ON payment_attempts (order_id) WHERE status = 'succeeded';

CREATE TABLE events (
  seq             bigserial PRIMARY KEY,
  id              text NOT NULL UNIQUE,
  merchant_id     text NOT NULL REFERENCES merchants (id),
  order_id        text REFERENCES orders (id),
  type            text NOT NULL,
  object_type     text NOT NULL,
  object_id       text NOT NULL,
  object_version  integer NOT NULL,
  data            jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_order ON events (order_id, seq);

CREATE TABLE idempotency_keys (
  merchant_id      text NOT NULL REFERENCES merchants (id),
  key              text NOT NULL,
  request_hash     text NOT NULL,
  state            text NOT NULL CHECK (state IN ('in-flight', 'done')),
  response_status  integer,
  response_body    jsonb,
  locked_until     timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, key)
);

CREATE TABLE cashier_sessions (
  -- SHA-256 of the token: the token itself is shown once and never stored.
  token_hash  text PRIMARY KEY,
  order_id    text NOT NULL REFERENCES orders (id),
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cashier_sessions_order ON cashier_sessions (order_id);

CREATE TABLE refunds (
  id                 text PRIMARY KEY,
  order_id           text NOT NULL REFERENCES orders (id),
  attempt_id         text NOT NULL REFERENCES payment_attempts (id),
  merchant_refund_no text NOT NULL,
  amount             bigint NOT NULL CHECK (amount > 0),
  fee_returned       bigint,
  reason             text,
  status             text NOT NULL CHECK (status IN ('pending', 'processing', 'unknown', 'succeeded', 'failed')),
  channel_refund_no  text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  version            integer NOT NULL DEFAULT 1,
  UNIQUE (order_id, merchant_refund_no)
);

CREATE TABLE notification_inbox (
  id            text PRIMARY KEY,
  channel       text NOT NULL,
  event_id      text NOT NULL,
  headers       jsonb NOT NULL,
  body          text NOT NULL,
  verified      boolean NOT NULL,
  problem       text,
  received_at   timestamptz NOT NULL DEFAULT now(),
  processed_at  timestamptz,
  UNIQUE (channel, event_id)
);

CREATE TABLE webhook_outbox (
  id               text PRIMARY KEY,
  merchant_id      text NOT NULL REFERENCES merchants (id),
  event_id         text NOT NULL REFERENCES events (id),
  url              text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;
