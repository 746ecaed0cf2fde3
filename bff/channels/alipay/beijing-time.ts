// Alipay's wall-clock format: every time on the OpenAPI 2.0 gateway (timestamp, time_expire, gmt_payment,
// send_pay_date, notify_time) is "yyyy-MM-dd HH:mm:ss" in Beijing time (UTC+8, no daylight saving), with no zone
// written (channel-protocols.md §2.1, §2.6). The SDKs stamp the machine's local time, so a server outside UTC+8
// sends the wrong instant (jeequan/jeepay PR #43 fixed exactly that for Alipay): we never use local time.

const OFFSET_MS = 8 * 60 * 60 * 1000;
const PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** The instant as Alipay writes it; sub-second parts are dropped (the format has none). */
export function formatBeijingTime(at: Date): string {
  const shifted = new Date(at.getTime() + OFFSET_MS);
  return (
    `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())} ` +
    `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`
  );
}

/** The instant a Beijing wall-clock text names, or undefined when it is not an exact, real calendar time. */
export function parseBeijingTime(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  const [year, month, day, hours, minutes, seconds] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds) - OFFSET_MS);
  // Date.UTC rolls 2024-02-30 over into March; a round trip refuses such values instead of guessing.
  return formatBeijingTime(at) === text ? at : undefined;
}
