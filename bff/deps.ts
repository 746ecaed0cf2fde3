// What the BFF's routes and services need, passed in rather than reached for, so tests can run the real thing
// with their own clock, store and channel adapters.

import type { ChannelAdapters } from './channels/types.ts';
import type { WechatOAuth } from './channels/wechatpay/oauth.ts';
import type { Logger } from './errors.ts';
import type { Db } from './store/db.ts';
import type { HealthBoard } from './health/index.ts';

export interface Deps {
  readonly db: Db;
  readonly adapters: ChannelAdapters;
  /** The BFF's public base URL: notify URLs and hand-off links are built from it. */
  readonly publicUrl: string;
  readonly now: () => Date;
  readonly log: Logger;
  /** Compresses job schedules (query ladders, retries) under test; 1, the default, in production. */
  readonly timeScale?: number | undefined;
  /** Each merchant's webhook signing secrets, newest first; two overlap while one is being rotated. */
  readonly webhookSecrets?: ReadonlyMap<string, readonly string[]> | undefined;
  /** SHA-256 of the operator's token (CASHIER_OPERATOR_TOKEN): enables /ops/v1 (reconciliation for every merchant). */
  readonly operatorTokenHash?: string | undefined;
  /** Channel health, fed by every channel call; hides or demotes failing channels in eligibility. */
  readonly health?: HealthBoard | undefined;
  /** WeChat's web OAuth and code2Session, for the payer's openid (JSAPI, mini-program pay); absent without WeChat Pay. */
  readonly wechatOAuth?: WechatOAuth | undefined;
}
