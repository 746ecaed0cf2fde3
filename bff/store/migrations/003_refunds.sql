-- Merchant refunds: the order carries what its refunds have reserved, their count and when the last was made, so
-- that one conditional UPDATE enforces the total, the count limit and the interval at once (never read-then-write).

ALTER TABLE orders ADD COLUMN refund_count integer NOT NULL DEFAULT 0 CHECK (refund_count >= 0);
ALTER TABLE orders ADD COLUMN last_refund_at timestamptz;
ALTER TABLE refunds ADD COLUMN fee_charged bigint;
