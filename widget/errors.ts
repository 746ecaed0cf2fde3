// The widget's errors: one class with a stable `code` (the BFF's error code, or `network`, `bad_response`,
// `aborted`, `chunk_unavailable`, `bridge_unavailable`), told apart by name rather than instanceof so the guard works
// across windows.
// No class fields: at the widget's ES2020 target they would pull in the bundler's helpers.

export class WidgetError extends Error {
  declare readonly code: string;
  /** The HTTP status, when the BFF answered. */
  declare readonly status: number | undefined;
  /** The rest of the BFF's error answer (`wechat` beside `error` on wechat_openid_required). */
  declare readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, status?: number, details?: Readonly<Record<string, unknown>>) {
    super(message);
    this.name = 'WidgetError';
    (this as { code: string }).code = code;
    (this as { status: number | undefined }).status = status;
    (this as { details: unknown }).details = details;
  }
}

export function isWidgetError(value: unknown): value is WidgetError {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'WidgetError';
}

export function isAbort(value: unknown): boolean {
  return (
    (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'AbortError') ||
    (isWidgetError(value) && value.code === 'aborted')
  );
}
