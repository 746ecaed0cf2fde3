// Calendar arithmetic in Beijing time (UTC+8, no daylight saving), where every channel in the rulebook
// draws its clearing days, bill times and refund windows.

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
