-- Who is paying, as far as a channel needs to know it before the order is made: WeChat JSAPI and mini-program pay
-- need the payer's openid under the appid that pays (channel-protocols.md §1.6), obtained by the official account's
-- web OAuth or the mini-program's wx.login. Kept on the cashier session, per appid:
-- {"wechat": {"appid": "wx…", "openid": "o…"}, "miniProgram": {"appid": "wx…", "openid": "o…"}}.
ALTER TABLE cashier_sessions ADD COLUMN payer jsonb NOT NULL DEFAULT '{}';

-- A web OAuth round trip in flight: WeChat hands `state` back untouched, and it may only be [A-Za-z0-9], at most
-- 128 bytes, so it is a random key to this row (stored hashed, like session tokens) rather than a signed payload
-- that would have to carry the return URL. Single use: the callback deletes the row it reads.
CREATE TABLE wechat_oauth_states (
  state_hash   text PRIMARY KEY,
  session_hash text NOT NULL REFERENCES cashier_sessions (token_hash) ON DELETE CASCADE,
  return_url   text NOT NULL,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wechat_oauth_states_expiry ON wechat_oauth_states (expires_at);
