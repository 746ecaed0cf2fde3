// Structured errors shared by the browser and the server. Each kind has a stable `code`; callers tell
// kinds apart by `name` (works across windows and realms), never by `instanceof`.

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

export class CashierError extends Error {
  override readonly name: string = 'CashierError';
  readonly code: string;
  readonly field: string | undefined;
  /** Brand checked by `isCashierError`, so the guard works across realms and for every subclass. */
  readonly isCashierError = true;

  constructor(code: string, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }

  toJSON(): ErrorBody {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

/** A money value that is not an exact amount in minor units, or not in the form a channel expects. */
export class MoneyError extends CashierError {
  override readonly name = 'MoneyError';
}

/** A rulebook value (rate, plan, order number) that breaks a channel's rule. */
export class RuleError extends CashierError {
  override readonly name = 'RuleError';
}

export function isCashierError(value: unknown): value is CashierError {
  return typeof value === 'object' && value !== null && (value as { isCashierError?: unknown }).isCashierError === true;
}

export function isMoneyError(value: unknown): value is MoneyError {
  return isCashierError(value) && value.name === 'MoneyError';
}

export function isRuleError(value: unknown): value is RuleError {
  return isCashierError(value) && value.name === 'RuleError';
}
