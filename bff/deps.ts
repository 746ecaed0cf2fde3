// What the BFF's routes and services need, passed in rather than reached for, so tests can run the real thing
// with their own clock, store and channel adapters.

import type { ChannelAdapters } from './channels/types.ts';
import type { Logger } from './errors.ts';
import type { Db } from './store/db.ts';

export interface Deps {
  readonly db: Db;
  readonly adapters: ChannelAdapters;
  /** The BFF's public base URL: notify URLs and hand-off links are built from it. */
  readonly publicUrl: string;
  readonly now: () => Date;
  readonly log: Logger;
}
