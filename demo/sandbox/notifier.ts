// Notifications to the merchant, as each channel sends them: delivered, and retried on the channel's own ladder
// until acknowledged in the channel's own form. Time can be compressed (`timeScale`) so a 24-hour ladder runs in
// seconds under test. The order's fault script can drop, duplicate, delay or reorder deliveries, or have the
// channel forge them. Every delivery is logged for the control page.

import type { FaultBook } from './faults.ts';

export interface Delivery {
  readonly channel: string;
  readonly orderKey: string;
  readonly url: string;
  readonly attempt: number;
  readonly at: string;
  readonly status: number | null;
  readonly acknowledged: boolean;
  readonly error?: string;
  /** Which copy this is, when the fault script duplicates the notification. */
  readonly copy?: number;
  readonly forged?: boolean;
}

export interface Notification {
  readonly channel: string;
  readonly orderKey: string;
  readonly url: string;
  /** Built afresh for each delivery (WeChat signs every delivery with a new timestamp and nonce). */
  readonly build: () => { headers: Record<string, string>; body: string };
  /** The same notification signed with a key that is not the channel's (the `forgeSignature` fault). */
  readonly forged?: () => { headers: Record<string, string>; body: string };
  /** Seconds to wait before each retry. */
  readonly ladder: readonly number[];
  /** Whether the merchant's answer counts as an acknowledgement, by the channel's rule. */
  readonly acknowledged: (status: number, body: string) => boolean;
  /** Seconds the channel waits for an answer. */
  readonly timeoutSeconds: number;
}

export class Notifier {
  readonly log: Delivery[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #timeScale: number;
  readonly #fetch: typeof fetch;
  readonly #faults: FaultBook | undefined;

  constructor(options: { timeScale?: number; fetch?: typeof fetch; faults?: FaultBook } = {}) {
    this.#timeScale = options.timeScale ?? 1;
    this.#fetch = options.fetch ?? fetch;
    this.#faults = options.faults;
  }

  /** Sends now (or as the order's fault script says), then retries on the ladder until acknowledged. */
  send(notification: Notification): void {
    const script = this.#faults?.for(notification.channel, notification.orderKey) ?? {};
    if (script.drop) {
      this.log.push({ ...this.#entry(notification, 0), status: null, acknowledged: false, error: 'dropped by fault script' });
      return;
    }
    const copies = script.duplicate ?? 1;
    for (let copy = 1; copy <= copies; copy++) {
      const pause = (script.delaySeconds ?? 0) + Math.random() * (script.reorderSeconds ?? 0);
      const forged = script.forgeSignature === true && notification.forged !== undefined;
      this.#later(pause, () => this.#deliver(notification, 0, copies > 1 ? copy : undefined, forged));
    }
  }

  #entry(notification: Notification, attempt: number) {
    return { channel: notification.channel, orderKey: notification.orderKey, url: notification.url, attempt: attempt + 1, at: new Date().toISOString() };
  }

  #later(seconds: number, run: () => Promise<void>): void {
    if (seconds <= 0) {
      void run();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void run();
    }, seconds * 1000 * this.#timeScale);
    timer.unref?.();
    this.#timers.add(timer);
  }

  async #deliver(notification: Notification, attempt: number, copy?: number, forged = false): Promise<void> {
    const { headers, body } = forged && notification.forged ? notification.forged() : notification.build();
    let status: number | null = null;
    let acknowledged = false;
    let error: string | undefined;
    try {
      const response = await this.#fetch(notification.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(notification.timeoutSeconds * 1000),
      });
      status = response.status;
      acknowledged = notification.acknowledged(status, await response.text());
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    this.log.push({
      ...this.#entry(notification, attempt),
      status,
      acknowledged,
      ...(error === undefined ? {} : { error }),
      ...(copy === undefined ? {} : { copy }),
      ...(forged ? { forged } : {}),
    });
    const wait = notification.ladder[attempt];
    if (acknowledged || wait === undefined) return;
    this.#later(wait, () => this.#deliver(notification, attempt + 1, copy, forged));
  }

  /** Stops every pending retry (tests, shutdown). */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
