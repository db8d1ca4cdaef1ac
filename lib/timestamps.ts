/**
 * Timestamps in the forms real exports use, as one pure module (no I/O, no clock unless passed in).
 *
 * Accepted forms (every result is a UTC instant):
 * - ISO 8601 / RFC 3339: `2024-05-01`, `2024-05-01T10:00`, `2024-05-01 10:00:00.123456`, with a zone `Z`, `+02:00`,
 *   `+0200` or `+02` (Facebook Graph writes `+0000`), or without one: **a time without a zone is taken as UTC**,
 *   because exports of social data record UTC (SemEval, Graph, Pushshift) and the machine's zone says nothing about
 *   the file. The basic form `20240501T100000Z` too.
 * - Twitter v1.1 `Mon May 13 12:43:51 +0000 2024`, and RFC 2822 `Mon, 13 May 2024 12:43:51 +0000` (weekday optional,
 *   seconds optional, zone `+hhmm`, `UT`, `GMT`, `Z` or a US zone name; none = UTC).
 * - Epoch time as a number or a numeric string, integer or fraction: seconds (|v| < 1e11), milliseconds (< 1e14),
 *   microseconds (< 1e17), else nanoseconds.
 * - Spreadsheet dates `13/05/2024 09:00`, `5/1/24 9:00 PM`, `13.05.2024`, `13-05-2024` (separator `/`, `.` or `-`,
 *   2- or 4-digit year, optional `HH:MM[:SS]` and AM/PM), in the day/month order `dayMonthOrder` decided for the
 *   column (`dayOrder`); without one, only a value with a number over 12 is read. Both numbers ≤ 12 with no decided
 *   order is refused as ambiguous (the reason says to export ISO dates).
 * - Excel serial days (1900 date system; `46346.5`, or `46346,5` from a locale with a decimal comma) only when the
 *   caller says the column is made of them
 *   (`excelSerialColumn` decides that from a sample): a bare 45413 is otherwise epoch seconds (in 1970, implausible).
 *
 * Implausible instants (before 2004-01-01, or more than a day after `now`) are rejected by `plausibleTime` with a
 * reason, so they never reach a partition key.
 */
import { DAY_MS, isoDay } from './dates';

export type TimestampResult = { ok: true; iso: string; ms: number } | { ok: false; reason: string };

export interface TimestampOptions {
  /** the column holds Excel serial day numbers (see `excelSerialColumn`) */
  excelSerial?: boolean;
  /** where the value comes from, named in reasons: e.g. `column "created_at"` */
  where?: string;
  /**
   * The day/month order of numeric dates (`13/05/2024`, `5.1.24 9:00 PM`), decided per column by `dayMonthOrder`.
   * Unset: only a value that proves its own order (a field > 12) is read. `unknown`: the column's sample never
   * proved it, so such values are refused as ambiguous; `mixed`: the column holds both orders, so they are refused.
   */
  dayOrder?: DayOrder;
}

/** The order of a column's numeric dates: day first, month first, both seen (`mixed`) or never proved (`unknown`). */
export type DayOrder = 'dmy' | 'mdy' | 'mixed' | 'unknown';

/** Earliest instant accepted: social media data from before 2004 is a parsing mistake (epoch 0, Excel day 0, …). */
export const EARLIEST_PLAUSIBLE_MS = Date.UTC(2004, 0, 1);
/** How far after "now" a post may be dated: clock skew and zones, not more. */
export const FUTURE_TOLERANCE_MS = DAY_MS;

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
const NAMED_ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
};

const ok = (ms: number): TimestampResult =>
  Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? { ok: true, ms, iso: new Date(ms).toISOString() } : { ok: false, reason: 'out of the representable range' };
const shown = (value: unknown) =>
  typeof value === 'bigint' ? String(value) : JSON.stringify(typeof value === 'string' && value.length > 60 ? value.slice(0, 60) + '…' : value);
const failWith =
  (where: string | undefined) =>
  (value: unknown, why = 'not ISO 8601, RFC 2822, Twitter or epoch seconds/ms'): TimestampResult => ({
    ok: false,
    reason: `unparseable timestamp ${shown(value)}${where ? ` in ${where}` : ''}: ${why}`,
  });

/** Builds a UTC instant from calendar fields, refusing ones that roll over (Feb 30, 25:00). */
function fromParts(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, msFrac = 0, offsetMin = 0): number | null {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 60) return null;
  if (h === 24 && (mi > 0 || s > 0 || msFrac > 0)) return null;
  const base = Date.UTC(y, mo, d, 0, 0, 0);
  const check = new Date(base);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo || check.getUTCDate() !== d) return null;
  return base + ((h * 60 + mi - offsetMin) * 60 + Math.min(s, 59)) * 1000 + msFrac;
}

/** `Z`, `+02:00`, `+0200`, `+02`, `-05:30` → minutes east of UTC; undefined when absent; null when malformed. */
function zoneOffset(zone: string | undefined): number | null | undefined {
  if (zone === undefined || zone === '') return undefined;
  const z = zone.trim();
  if (/^z$/i.test(z)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(z);
  if (!m) return NAMED_ZONES[z.toLowerCase()] ?? null;
  const min = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (Number(m[2]) > 23 || Number(m[3] ?? 0) > 59) return null;
  return m[1] === '-' ? -min : min;
}

const fractionMs = (frac: string | undefined) => (frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0);

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?$/;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const TWITTER = /^(?:mon|tue|wed|thu|fri|sat|sun)\s+([a-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+([+-]\d{4})\s+(\d{4})$/i;
const RFC2822 =
  /^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s*)?(\d{1,2})\s+([a-z]{3})[a-z]*\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[a-z]{1,3})?$/i;
/** `13/05/2024`, `5/1/24 9:00 PM`, `13.05.2024 09:00:00`, `13-05-2024`: one separator, 2- or 4-digit year, optional time. */
const DAY_MONTH = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:(?:[ T]|,\s*)\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?)?$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Epoch number → ms, its unit told by its size (seconds until year ~5138, then ms, µs, ns). */
export function epochToMs(v: number): number {
  const a = Math.abs(v);
  if (a < 1e11) return Math.round(v * 1000);
  if (a < 1e14) return Math.round(v);
  if (a < 1e17) return Math.round(v / 1000);
  return Math.round(v / 1e6);
}

const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);

/**
 * Excel 1900-system serial day (days since 1899-12-31 = day 1, fraction = time of day) → epoch ms.
 * Excel counts a 29 February 1900 that never existed (serial 60, Lotus 1-2-3's leap-year bug), so serials from 61 on
 * are days since 1899-12-30 and serials below 60 are one day later than that formula says; 60 itself is refused.
 * Rounded to the millisecond (a serial's fraction is a binary float). Throws RangeError for serials < 1 or = 60.x.
 */
export function excelSerialToMs(serial: number): number {
  if (!Number.isFinite(serial) || serial < 1) throw new RangeError(`Excel serial ${serial} is before 1900-01-01`);
  if (serial >= 60 && serial < 61) throw new RangeError(`Excel serial ${serial} is 1900-02-29, a day that does not exist`);
  const days = serial < 60 ? serial + 1 : serial;
  return Math.round(EXCEL_EPOCH_MS + days * DAY_MS);
}

/**
 * Parses one timestamp value (string, number or bigint) to a UTC instant, or says why not. Does not judge
 * plausibility: see `plausibleTime`.
 */
export function parseTimestamp(value: unknown, opts: TimestampOptions = {}): TimestampResult {
  const fail = failWith(opts.where);
  if (typeof value === 'bigint') return ok(epochToMs(Number(value)));
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail(value, 'not a finite number');
    if (opts.excelSerial && value >= 1) {
      try {
        return ok(excelSerialToMs(value));
      } catch (err) {
        return fail(value, (err as Error).message);
      }
    }
    return ok(epochToMs(value));
  }
  if (typeof value !== 'string') return fail(value, `a ${value === null ? 'null' : typeof value}, not a time`);
  const v = value.trim();
  if (!v) return fail(value, 'empty');
  // Excel in a locale whose decimal mark is a comma (German, French, …) writes a serial's time of day as 46346,5
  if (opts.excelSerial && DECIMAL_COMMA.test(v)) return parseTimestamp(Number(v.replace(',', '.')), opts);
  if (NUMBER.test(v)) {
    // "20240501" is a date, not 1970's second 20,240,501
    const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
    if (compact && Number(compact[1]) >= 1990) {
      const ms = fromParts(Number(compact[1]), Number(compact[2]) - 1, Number(compact[3]));
      if (ms !== null) return ok(ms);
    }
    return parseTimestamp(Number(v), opts);
  }
  let m = ISO.exec(v) ?? ISO_BASIC.exec(v);
  if (m) {
    const off = zoneOffset(m[8]);
    if (off === null) return fail(value, `unknown zone "${m[8]}"`);
    const ms = fromParts(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), fractionMs(m[7]), off ?? 0);
    return ms === null ? fail(value, 'no such date or time') : ok(ms);
  }
  m = TWITTER.exec(v);
  if (m) {
    const mo = MONTHS[m[1].toLowerCase()];
    const off = zoneOffset(m[6]);
    const ms = mo === undefined || off == null ? null : fromParts(Number(m[7]), mo, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0, off);
    return ms === null ? fail(value, 'no such date or time') : ok(ms);
  }
  m = RFC2822.exec(v);
  if (m) {
    const mo = MONTHS[m[2].toLowerCase()];
    // RFC 2822 §4.3: two-digit years 00-49 are 20xx, 50-99 are 19xx
    let y = Number(m[3]);
    if (m[3].length === 2) y += y < 50 ? 2000 : 1900;
    const off = zoneOffset(m[7]);
    if (off === null) return fail(value, `unknown zone "${m[7]}"`);
    const ms = mo === undefined ? null : fromParts(y, mo, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0, off ?? 0);
    return ms === null ? fail(value, 'no such date or time') : ok(ms);
  }
  m = DAY_MONTH.exec(v);
  if (m) return dayMonthTime(m, value, opts.dayOrder, fail);
  if (/^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}/.test(v))
    return fail(value, 'not a date and time in a form this reader knows: export the column as ISO 8601 (2024-05-01 12:00)');
  return fail(value);
}

const ISO_ADVICE = 'export the column as ISO 8601 (2024-05-01 12:00), or as a date format with the month name';

/** Reads a `DAY_MONTH` match in the given (or self-evident) day/month order. */
function dayMonthTime(
  m: RegExpExecArray,
  value: unknown,
  order: DayOrder | undefined,
  fail: (value: unknown, why?: string) => TimestampResult,
): TimestampResult {
  const a = Number(m[1]);
  const b = Number(m[3]);
  const own: DayOrder = a > 12 ? 'dmy' : b > 12 ? 'mdy' : 'unknown';
  const use = order ?? own;
  if (use === 'mixed') {
    return fail(
      value,
      `the column holds both day-first dates (a first number over 12, as in 13/05) and month-first ones (a second number over 12, as in 05/13), so no row's order can be trusted: ${ISO_ADVICE}`,
    );
  }
  if (use === 'unknown') {
    const why =
      order === 'unknown'
        ? 'day/month order is ambiguous: no sampled value of the column has a day over 12 to tell day-first from month-first'
        : 'day/month order is ambiguous in this form (both numbers are 12 or less)';
    return fail(value, `${why}: ${ISO_ADVICE}`);
  }
  const [day, month] = use === 'dmy' ? [a, b] : [b, a];
  let y = Number(m[4]);
  if (m[4].length === 2) y += y < 50 ? 2000 : 1900;
  let h = Number(m[5] ?? 0);
  const ampm = m[8]?.[0].toLowerCase();
  if (ampm) {
    if (h < 1 || h > 12) return fail(value, `hour ${h} with ${m[8]}`);
    h = (h % 12) + (ampm === 'p' ? 12 : 0);
  }
  const ms = fromParts(y, month - 1, day, h, Number(m[6] ?? 0), Number(m[7] ?? 0));
  if (ms !== null) return ok(ms);
  const orderName = use === 'dmy' ? 'day-first (DD/MM/YYYY)' : 'month-first (MM/DD/YYYY)';
  return fail(value, `no such date or time when read ${orderName}${order ? ', the order of the rest of the column' : ''}`);
}

/**
 * Decides from a sample of one column's values the order of its numeric dates (`13/05/2024`): `dmy` when some value
 * has a first number over 12, `mdy` when some has a second number over 12, `mixed` when both occur, `unknown` when
 * every such value has both numbers ≤ 12; null when no sampled value is in that form.
 */
export function dayMonthOrder(values: readonly unknown[]): DayOrder | null {
  let seen = false;
  let dayFirst = false;
  let monthFirst = false;
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const m = DAY_MONTH.exec(v.trim());
    if (!m) continue;
    seen = true;
    if (Number(m[1]) > 12) dayFirst = true;
    if (Number(m[3]) > 12) monthFirst = true;
  }
  if (!seen) return null;
  return dayFirst && monthFirst ? 'mixed' : dayFirst ? 'dmy' : monthFirst ? 'mdy' : 'unknown';
}

/**
 * null when `day` (YYYY-MM-DD, UTC) can hold posts, i.e. a run, backfill, collect or retrain window may name it; otherwise
 * why not. The same bounds as plausibleTime: from 2004-01-01 to tomorrow (a window's exclusive end, and a post may be up to
 * FUTURE_TOLERANCE_MS ahead). A typo such as 2062 for 2026 would otherwise make a run of simulated posts in 2062 the
 * "latest" that every insight and report defaults to.
 */
export function plausibleDataDay(day: string, now: number = Date.now()): string | null {
  const tomorrow = isoDay(now + FUTURE_TOLERANCE_MS);
  if (day < isoDay(EARLIEST_PLAUSIBLE_MS)) return `${day} is before 2004-01-01, the earliest day SocialSense reads posts of`;
  if (day > tomorrow) return `${day} is in the future: days up to ${tomorrow} (tomorrow, UTC) can hold posts`;
  return null;
}

/** null when `ms` is a plausible time for a social media post; otherwise the reason it is not. */
export function plausibleTime(ms: number, now: number = Date.now()): string | null {
  if (!Number.isFinite(ms)) return 'not a finite time';
  if (ms < EARLIEST_PLAUSIBLE_MS) return `implausible time ${new Date(ms).toISOString()}: before 2004-01-01`;
  if (ms > now + FUTURE_TOLERANCE_MS) return `implausible time ${new Date(ms).toISOString()}: more than a day in the future`;
  return null;
}

/**
 * plausibleTime for post.v1 `created_at` strings (ISO-8601, validated), made for a check of every post: a time whose
 * date lies strictly between 2004-01-01 and today (UTC, of `now`) is plausible whatever its offset (at most ±18 h)
 * and is decided from its first ten characters, without Date.parse; only the others are parsed.
 * @returns a function giving null for a plausible time, else the reason (plausibleTime's)
 */
export function postTimeCheck(now: number = Date.now()): (iso: string) => string | null {
  const earliest = isoDay(EARLIEST_PLAUSIBLE_MS);
  const today = isoDay(now);
  return (iso) => {
    const day = iso.slice(0, 10);
    return day > earliest && day < today ? null : plausibleTime(Date.parse(iso), now);
  };
}

/** `parseTimestamp` and `plausibleTime` in one: a UTC ISO string, or the reason the value cannot be a post's time. */
export function postTime(value: unknown, opts: TimestampOptions & { now?: number } = {}): TimestampResult {
  const t = parseTimestamp(value, opts);
  if (!t.ok) return t;
  const why = plausibleTime(t.ms, opts.now);
  return why
    ? { ok: false, reason: `${why} (from ${shown(value)}${opts.where ? ` in ${opts.where}` : ''}${opts.excelSerial ? ', read as an Excel serial day' : ''})` }
    : t;
}

/** A number written with a decimal comma (`46346,5`): an Excel serial day from a locale whose decimal mark is a comma. */
const DECIMAL_COMMA = /^\d+,\d+$/;

/** The range of Excel serials for 1954-10-03 … 2119-01-10: any plausible post date falls well inside it. */
export const EXCEL_SERIAL_RANGE = [20_000, 80_000] as const;

/**
 * Decides from a sample of one column's values whether the column is made of Excel serial days: it has numeric
 * values, every numeric value lies in 20,000–80,000 (as epoch seconds or ms those would all be in 1970, so nothing
 * plausible is lost), and either some value has a fraction (a time of day) or the column's name says it is a date.
 * Non-numeric values (an ISO row beside them, blanks) do not count against it.
 */
export function excelSerialColumn(values: readonly unknown[], columnName = ''): boolean {
  const nums: number[] = [];
  for (const v of values) {
    if (typeof v === 'number') nums.push(v);
    else if (typeof v === 'string' && NUMBER.test(v.trim())) nums.push(Number(v.trim()));
    else if (typeof v === 'string' && DECIMAL_COMMA.test(v.trim())) nums.push(Number(v.trim().replace(',', '.')));
  }
  if (nums.length === 0) return false;
  if (!nums.every((n) => Number.isFinite(n) && n >= EXCEL_SERIAL_RANGE[0] && n <= EXCEL_SERIAL_RANGE[1])) return false;
  return nums.some((n) => !Number.isInteger(n)) || /date|time|created|posted|published|timestamp/i.test(columnName);
}
