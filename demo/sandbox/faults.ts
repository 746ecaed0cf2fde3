// Scripted faults, per channel order or for every new one: what the channels do to merchants on bad days. The
// notifier applies the delivery faults (drop, duplicate, delay, reorder); each channel applies the rest (a forged
// signature, a changed amount, failing queries, a success after the order expired, WeChat's signature probes).

import * as v from 'valibot';

export const FaultScriptSchema = v.strictObject({
  /** Never deliver the notification (the merchant must find out by querying). */
  drop: v.optional(v.boolean()),
  /** Deliver this many copies, each on its own retry ladder. */
  duplicate: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100))),
  /** Wait before the first delivery. */
  delaySeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(86_400))),
  /** Send each delivery after a random pause of up to this many seconds, so copies and events arrive out of order. */
  reorderSeconds: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(3600))),
  /** Sign notifications with a key that is not the channel's. */
  forgeSignature: v.optional(v.boolean()),
  /** Report this amount (minor units) in notifications instead of the real one, correctly signed. */
  changeAmount: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** Answer this many queries about the order with a 5xx, or not at all (timeout). */
  queryFailure: v.optional(v.picklist(['5xx', 'timeout'])),
  queryFailures: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** Let the customer pay after the order's expiry has passed (as a channel that starts its clock late might). */
  successAfterExpiry: v.optional(v.boolean()),
  /** WeChat: send a `WECHATPAY/SIGNTEST/` probe before the real notification. */
  probe: v.optional(v.boolean()),
});
export type FaultScript = v.InferOutput<typeof FaultScriptSchema>;

export class FaultBook {
  readonly #scripts = new Map<string, FaultScript & { queryFailuresLeft?: number }>();
  #default: FaultScript | undefined;

  /** Script one order (replacing what it had). */
  set(channel: string, key: string, script: FaultScript): void {
    this.#scripts.set(`${channel}:${key}`, { ...script, ...(script.queryFailure ? { queryFailuresLeft: script.queryFailures ?? 1 } : {}) });
  }

  /** Script every order created from now on that has no script of its own; undefined clears it. */
  setDefault(script: FaultScript | undefined): void {
    this.#default = script;
  }

  /** The order's script (its own, else the default taken when it is first asked for), or an empty one. */
  for(channel: string, key: string): FaultScript {
    const id = `${channel}:${key}`;
    let script = this.#scripts.get(id);
    if (!script && this.#default) {
      this.set(channel, key, this.#default);
      script = this.#scripts.get(id);
    }
    return script ?? {};
  }

  /** A query failure to act out for this order now, if any remain. */
  takeQueryFailure(channel: string, key: string): '5xx' | 'timeout' | undefined {
    const script = this.#scripts.get(`${channel}:${key}`) ?? (this.#default ? (this.for(channel, key), this.#scripts.get(`${channel}:${key}`)) : undefined);
    if (!script?.queryFailure || !script.queryFailuresLeft) return undefined;
    script.queryFailuresLeft -= 1;
    return script.queryFailure;
  }

  list(): Record<string, FaultScript> {
    return Object.fromEntries(this.#scripts);
  }
}

/**
 * The `timeout` query fault: holds a request for `ms`, or until the caller hangs up (node-server aborts the
 * request's signal when the client goes away). Never the reason a process stays up.
 */
export function holdRequest(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}
