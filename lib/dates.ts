/**
 * UTC calendar days as `YYYY-MM-DD` strings: the one place for the day length, day arithmetic and the
 * day pattern that partitions, run keys, report windows and workflow inputs share.
 *
 * Imported by workflow code, so it stays pure: no Node APIs. `yesterday()` reads `Date.now()`, which
 * in the workflow sandbox is the workflow task's time and so deterministic on replay; elsewhere it is
 * the wall clock, or pass `now`.
 */

/** Milliseconds in a UTC day (UTC has no daylight-saving shifts; leap seconds are not counted by Date). */
export const DAY_MS = 86_400_000;

/** A UTC day, `YYYY-MM-DD`: the shape only (use isIsoDay to also reject `2026-02-31`). */
export const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar day written `YYYY-MM-DD` (`2026-11-24`); false for `24/11/2026`, `2026-13-01`, `2026-02-31`. */
export function isIsoDay(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_DAY.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

/** The UTC day (`YYYY-MM-DD`) of an instant given in epoch milliseconds or as a Date. */
export function isoDay(at: number | Date): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** UTC midnight of `day` (`YYYY-MM-DD`) in epoch milliseconds; NaN when `day` is not a date. */
export function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** `day` (`YYYY-MM-DD`) moved by `days` whole UTC days (negative: back). */
export function addDays(day: string, days: number): string {
  return isoDay(dayStartMs(day) + days * DAY_MS);
}

/** Days from `from` to `to` inclusive (both `YYYY-MM-DD`): 1 for the same day, 0 or less when `to` is before `from`. */
export function daysBetween(from: string, to: string): number {
  return Math.round((dayStartMs(to) - dayStartMs(from)) / DAY_MS) + 1;
}

/** The UTC day before `now` (epoch ms; default `Date.now()`, deterministic in workflow code). */
export function yesterday(now: number = Date.now()): string {
  return isoDay(now - DAY_MS);
}

/** Every day from `from` to `to` inclusive (both `YYYY-MM-DD`), in order; empty when `to` is before `from`. */
export function dayRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}
