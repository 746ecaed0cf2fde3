// Notifications to the merchant, as each channel sends them: delivered, and retried on the channel's own ladder
// until acknowledged in the channel's own form. Time can be compressed (`timeScale`) so a 24-hour ladder runs in
// seconds under test. Every delivery is logged for the control page.

export interface Delivery {
  readonly channel: string;
  readonly orderKey: string;
  readonly url: string;
  readonly attempt: number;
  readonly at: string;
  readonly status: number | null;
  readonly acknowledged: boolean;
  readonly error?: string;
}

export interface Notification {
  readonly channel: string;
  readonly orderKey: string;
  readonly url: string;
  /** Built afresh for each delivery (WeChat signs every delivery with a new timestamp and nonce). */
  readonly build: () => { headers: Record<string, string>; body: string };
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

  constructor(options: { timeScale?: number; fetch?: typeof fetch } = {}) {
    this.#timeScale = options.timeScale ?? 1;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Sends now, then retries on the ladder until acknowledged or the ladder runs out. */
  send(notification: Notification): void {
    void this.#deliver(notification, 0);
  }

  async #deliver(notification: Notification, attempt: number): Promise<void> {
    const { headers, body } = notification.build();
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
      channel: notification.channel,
      orderKey: notification.orderKey,
      url: notification.url,
      attempt: attempt + 1,
      at: new Date().toISOString(),
      status,
      acknowledged,
      ...(error === undefined ? {} : { error }),
    });
    const wait = notification.ladder[attempt];
    if (acknowledged || wait === undefined) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#deliver(notification, attempt + 1);
    }, wait * 1000 * this.#timeScale);
    timer.unref?.();
    this.#timers.add(timer);
  }

  /** Stops every pending retry (tests, shutdown). */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
