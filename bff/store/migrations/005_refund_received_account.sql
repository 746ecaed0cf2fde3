-- Where a refund's money went back to, kept apart from where it was paid from: WeChat reports funds_account (the
-- merchant's account the refund came out of) in answers and queries, and user_received_account (the buyer's side,
-- e.g. 支付用户零钱) in answers, queries and notifications (§1.8). One column held whichever came last.
ALTER TABLE refunds ADD COLUMN received_account text;
