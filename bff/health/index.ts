// Channel health: a circuit breaker per channel fed by every call the adapters make. Many errors or timeouts in
// the last minute open the circuit (the channel is hidden from customers with the reason `health`); after a
// cool-down it half-opens (offered again, demoted) until a success closes it. A channel that refuses a payment
// for a business reason is healthy: it answered.

import type { ChannelId } from '../../shared/channels/index.ts';
import type { ChannelHealth } from '../../shared/eligibility/index.ts';
import type { ChannelAdapter, ChannelAdapters } from '../channels/types.ts';

export type CallOutcome = 'ok' | 'error' | 'timeout';

export interface HealthOptions {
  readonly windowMs?: number;
  /** Fewer calls than this in the window never open the circuit on the error rate alone. */
  readonly minCalls?: number;
  readonly downRate?: number;
  readonly degradedRate?: number;
  /** This many failures in a row open the circuit whatever the rate. */
  readonly consecutive?: number;
  readonly coolDownMs?: number;
  readonly now?: () => number;
}

interface Circuit {
  calls: { at: number; ok: boolean }[];
  failuresInRow: number;
  openedAt: number | undefined;
}

export class HealthBoard {
  readonly #circuits = new Map<ChannelId, Circuit>();
  readonly #options: Required<HealthOptions>;

  constructor(options: HealthOptions = {}) {
    this.#options = {
      windowMs: 60_000,
      minCalls: 10,
      downRate: 0.5,
      degradedRate: 0.2,
      consecutive: 5,
      coolDownMs: 30_000,
      now: () => Date.now(),
      ...options,
    };
  }

  record(channel: ChannelId, outcome: CallOutcome): void {
    const circuit = this.#circuit(channel);
    const now = this.#options.now();
    circuit.calls.push({ at: now, ok: outcome === 'ok' });
    this.#trim(circuit, now);
    if (outcome === 'ok') {
      circuit.failuresInRow = 0;
      circuit.openedAt = undefined;
      return;
    }
    circuit.failuresInRow += 1;
    const { rate, count } = this.#rate(circuit);
    if (circuit.failuresInRow >= this.#options.consecutive || (count >= this.#options.minCalls && rate >= this.#options.downRate)) {
      circuit.openedAt = now;
    }
  }

  state(channel: ChannelId): ChannelHealth {
    const circuit = this.#circuits.get(channel);
    if (!circuit) return 'up';
    const now = this.#options.now();
    this.#trim(circuit, now);
    if (circuit.openedAt !== undefined) {
      // Half-open after the cool-down: offered again (demoted) so that a customer's call can prove it healthy.
      return now - circuit.openedAt < this.#options.coolDownMs ? 'down' : 'degraded';
    }
    const { rate, count } = this.#rate(circuit);
    return count >= this.#options.minCalls && rate >= this.#options.degradedRate ? 'degraded' : 'up';
  }

  snapshot(): Partial<Record<ChannelId, ChannelHealth>> {
    return Object.fromEntries([...this.#circuits.keys()].map((channel) => [channel, this.state(channel)]));
  }

  #circuit(channel: ChannelId): Circuit {
    let circuit = this.#circuits.get(channel);
    if (!circuit) {
      circuit = { calls: [], failuresInRow: 0, openedAt: undefined };
      this.#circuits.set(channel, circuit);
    }
    return circuit;
  }

  #trim(circuit: Circuit, now: number): void {
    while (circuit.calls.length > 0 && (circuit.calls[0]?.at ?? now) < now - this.#options.windowMs) circuit.calls.shift();
  }

  #rate(circuit: Circuit): { rate: number; count: number } {
    const count = circuit.calls.length;
    return { count, rate: count === 0 ? 0 : circuit.calls.filter((call) => !call.ok).length / count };
  }
}

/** Wraps each adapter so every call it makes tells the board how the channel answered. */
export function withHealth(adapters: ChannelAdapters, board: HealthBoard): ChannelAdapters {
  return Object.fromEntries(Object.entries(adapters).map(([id, adapter]) => [id, observed(adapter, board)])) as ChannelAdapters;
}

function observed(adapter: ChannelAdapter, board: HealthBoard): ChannelAdapter {
  const record = (outcome: CallOutcome) => board.record(adapter.id, outcome);
  const guard = async <T>(call: () => Promise<T>, judge: (result: T) => CallOutcome): Promise<T> => {
    try {
      const result = await call();
      record(judge(result));
      return result;
    } catch (error) {
      record('error');
      throw error;
    }
  };
  return {
    id: adapter.id,
    pay: (request) => guard(() => adapter.pay(request), (outcome) => (outcome.kind === 'unknown' ? 'timeout' : 'ok')),
    query: (attempt) =>
      guard(() => adapter.query(attempt), (outcome) => (outcome.layer === 'trade' || (outcome.layer === 'business' && !outcome.unknown) ? 'ok' : 'error')),
    close: (attempt) => guard(() => adapter.close(attempt), (outcome) => (outcome.kind === 'unknown' ? 'timeout' : 'ok')),
    refund: (request) => guard(() => adapter.refund(request), (outcome) => (outcome.kind === 'unknown' ? 'timeout' : 'ok')),
    queryRefund: (refund) =>
      guard(() => adapter.queryRefund(refund), (outcome) => (outcome.layer === 'trade' || (outcome.layer === 'business' && !outcome.unknown) ? 'ok' : 'error')),
    bill: (day) => guard(() => adapter.bill(day), (outcome) => (outcome.kind === 'unknown' ? 'error' : 'ok')),
    // Parsing a notification calls no one: it says nothing about the channel's health.
    parseNotification: (input) => adapter.parseNotification(input),
  };
}
