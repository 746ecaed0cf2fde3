// Calendar arithmetic in Beijing time (UTC+8, no daylight saving), where every channel in the rulebook draws its
// clearing days, bill times and refund windows, and the wall-clock formats the channels write times in. Nothing
// here reads the machine's local time zone: SDKs that do send the wrong instant from a server outside UTC+8.

const OFFSET_MS = 8 * 60 * 60 * 1000;

export interface BeijingDate {
  readonly year: number;
  readonly month: number; // 1–12
  readonly day: number;
}

/** The Beijing calendar date and minutes after midnight of an instant. */
export function toBeijing(at: Date): BeijingDate & { readonly minutes: number } {
  const shifted = new Date(at.getTime() + OFFSET_MS);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    minutes: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
  };
}

/** The instant of a Beijing wall-clock time; days and months past their end roll over. */
export function fromBeijing(date: BeijingDate, minutes = 0): Date {
  return new Date(Date.UTC(date.year, date.month - 1, date.day, 0, minutes) - OFFSET_MS);
}

export function formatDay(date: BeijingDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

export function parseDay(text: string): BeijingDate | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  const check = new Date(Date.UTC(date.year, date.month - 1, date.day));
  const valid = check.getUTCFullYear() === date.year && check.getUTCMonth() === date.month - 1 && check.getUTCDate() === date.day;
  return valid ? date : undefined;
}

export function addDays(date: BeijingDate, days: number): BeijingDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** Adds calendar months; a day past the end of the target month becomes its last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(date: BeijingDate, months: number): BeijingDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { year, month, day: Math.min(date.day, lastDay) };
}

export function parseClock(text: string): number {
  const [hours, minutes] = text.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** The Beijing wall clock of an instant, to the second (sub-second parts dropped, never rounded up). */
function wallClock(at: Date): [string, string, string, string, string, string] {
  const shifted = new Date(Math.floor(at.getTime() / 1000) * 1000 + OFFSET_MS);
  return [
    pad(shifted.getUTCFullYear(), 4),
    pad(shifted.getUTCMonth() + 1),
    pad(shifted.getUTCDate()),
    pad(shifted.getUTCHours()),
    pad(shifted.getUTCMinutes()),
    pad(shifted.getUTCSeconds()),
  ];
}

/** `yyyy-MM-dd HH:mm:ss`, as Alipay writes every time (channel-protocols.md §2.1, §2.6). */
export function formatBeijingTime(at: Date): string {
  const [year, month, day, hours, minutes, seconds] = wallClock(at);
  return `${year}-${month}-${day} ${hours}:${minutes}:${seconds}`;
}

/** `yyyyMMddHHmmss`, as UnionPay writes txnTime and payTimeout (channel-protocols.md §3.3). */
export function formatBeijingStamp(at: Date): string {
  return wallClock(at).join('');
}

/** RFC 3339 at +08:00, `yyyy-MM-ddTHH:mm:ss+08:00`, as WeChat Pay writes time_expire and success_time (§1.7). */
export function formatBeijingRfc3339(at: Date): string {
  const [year, month, day, hours, minutes, seconds] = wallClock(at);
  return `${year}-${month}-${day}T${hours}:${minutes}:${seconds}+08:00`;
}

function parseWith(text: unknown, pattern: RegExp, format: (at: Date) => string): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = pattern.exec(text);
  if (!match) return undefined;
  const [year, month, day, hours, minutes, seconds] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds) - OFFSET_MS);
  // Date.UTC rolls 2026-02-30 over into March: a text that does not format back to itself is not a real time.
  return format(at) === text ? at : undefined;
}

/** The instant of a `yyyy-MM-dd HH:mm:ss` Beijing time, or undefined unless it names a real calendar second. */
export function parseBeijingTime(text: unknown): Date | undefined {
  return parseWith(text, /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/, formatBeijingTime);
}

/** The instant of a `yyyyMMddHHmmss` Beijing stamp, or undefined unless it names a real calendar second. */
export function parseBeijingStamp(text: unknown): Date | undefined {
  return parseWith(text, /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/, formatBeijingStamp);
}
