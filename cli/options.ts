import { InvalidArgumentError, type Command } from 'commander';
import { FILE_FORMAT_NAMES, fileFormatNamed, mappableFields, type FileFormat } from '../lib/fileFormat';
import { CronExpressionParser } from 'cron-parser';
import { daysBetween } from '../lib/dates';
import { plausibleDataDay } from '../lib/timestamps';
import { PLATFORM_SOURCES } from '../workflows/collect';

/**
 * Option parsers shared by every command: one per kind of value, so `--days 0` is refused the same way
 * by `run`, `demo` and `retrain`. Commander calls them while parsing, before any connection is made;
 * a refusal prints `error: option '--days <n>' argument '0' is invalid. <why, and what is allowed>`
 * and exits with code 1.
 */

/**
 * A parser for a whole number in [min, max]. `what` says what the number counts, for the message.
 * Only plain decimal digits are accepted (not `1e3`, `0x10`, `7.5` or `-1`).
 */
export function wholeNumberOption(min: number, max: number, what: string): (value: string) => number {
  const allowed = `${what}: a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
  return (value: string) => {
    const v = value.trim();
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got "${value}" (${allowed})`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${n < min ? 'too small' : 'too large'}: got ${v} (${allowed})`);
    return n;
  };
}

/** Any whole number ≥ 0 (for options without a natural range). */
export const intOption = wholeNumberOption(0, Number.MAX_SAFE_INTEGER, 'value');
/** Days in a window (`--days`): a run covers at least one day; longer ranges are what `backfill` is for. */
export const daysOption = wholeNumberOption(1, 366, 'days in the window');
/** Posts per day or in total (`--posts`, `--max-posts`). */
export const postsOption = wholeNumberOption(1, 1_000_000, 'posts');
/** Things running at once (`--concurrency`). */
export const concurrencyOption = wholeNumberOption(1, 64, 'runs at once');
/** Rows in a listing (`--limit`). */
export const limitOption = wholeNumberOption(1, 10_000, 'rows');
/** A model version in the registry (versions start at 1). */
export const versionOption = wholeNumberOption(1, Number.MAX_SAFE_INTEGER, 'model version');
/** A random seed (`--seed`). */
export const seedOption = wholeNumberOption(0, 2 ** 31 - 1, 'seed');
/** A TCP port (`--metrics-port`). */
export const portOption = wholeNumberOption(1, 65_535, 'port');

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A calendar day as YYYY-MM-DD (UTC), checked to exist: 2024-02-30 and 2023-13-01 are refused with the reason. */
export function dateOption(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, e.g. 2026-11-24, got "${value}"`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1970) throw new InvalidArgumentError(`expected a date from 1970-01-01 on, got "${value}"`);
  if (month < 1 || month > 12) throw new InvalidArgumentError(`"${value}" is not a date: month ${m[2]} does not exist (01 to 12)`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) throw new InvalidArgumentError(`"${value}" is not a date: ${MONTHS[month - 1]} ${year} has ${daysInMonth} days`);
  return m[0];
}

/**
 * A day of a data window (run --date, backfill --from/--to, retrain --date, collect --since/--until): a date as
 * dateOption reads it, from 2004-01-01 to tomorrow (lib/timestamps plausibleDataDay).
 */
export function dataDayOption(value: string): string {
  const day = dateOption(value);
  const problem = plausibleDataDay(day);
  if (problem) throw new InvalidArgumentError(problem);
  return day;
}

/**
 * Refuses a date range whose start is after its end, or longer than `maxDays`, through the command's
 * own error path (same format and exit code as a bad option value).
 */
export function checkDateRange(cmd: Command, range: { fromFlag: string; from: string; toFlag: string; to: string; maxDays?: number }): void {
  const { fromFlag, from, toFlag, to, maxDays } = range;
  if (from > to)
    cmd.error(`error: ${fromFlag} ${from} is after ${toFlag} ${to}; the range must start on or before its last day`, {
      exitCode: 1,
      code: 'socialsense.invalidRange',
    });
  const days = daysBetween(from, to);
  if (maxDays !== undefined && days > maxDays) {
    cmd.error(
      `error: ${fromFlag} ${from} … ${toFlag} ${to} spans ${days.toLocaleString('en-US')} days; at most ${maxDays.toLocaleString('en-US')} are allowed in one command`,
      { exitCode: 1, code: 'socialsense.invalidRange' },
    );
  }
}

/** Every source a run can use. */
export const SOURCES: readonly string[] = ['simulated', 'file', ...PLATFORM_SOURCES];

/** `--source`: one of the known sources (lower case). */
export function sourceOption(value: string): string {
  const v = value.trim().toLowerCase();
  if (!SOURCES.includes(v)) throw new InvalidArgumentError(`unknown source "${value}"; use one of ${SOURCES.join(', ')}`);
  return v;
}

/**
 * `--source` of commands that collect each day of a window again (retrain, backfill): `file` has no
 * file to read for those days, so it is refused with that reason instead of starting runs that fail.
 */
export function collectableSourceOption(value: string): string {
  const v = sourceOption(value);
  if (v === 'file') {
    throw new InvalidArgumentError(
      `"file" cannot be collected again: this command collects every day of its window itself, and a file import has no file for those days; ` +
        `use ${SOURCES.filter((s) => s !== 'file').join(', ')} (import files with \`run --source file --file F\`)`,
    );
  }
  return v;
}

const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * `--cron`: a standard 5-field cron expression (minute hour day-of-month month day-of-week, with
 * `*`, lists, ranges, steps and month/day names) or one of the @-macros; checked locally with
 * cron-parser, so a typo is refused before the Schedule is touched.
 */
export function cronOption(value: string): string {
  const v = value.trim().replace(/\s+/g, ' ');
  const help = `expected 5 fields "minute hour day-of-month month day-of-week" (e.g. "0 2 * * *") or one of ${CRON_MACROS.join(', ')}`;
  if (v.startsWith('@')) {
    if (!CRON_MACROS.includes(v.toLowerCase())) throw new InvalidArgumentError(`unknown cron macro "${value}"; ${help}`);
    return v.toLowerCase();
  }
  const fields = v.split(' ').filter(Boolean);
  if (fields.length !== 5) throw new InvalidArgumentError(`"${value}" has ${fields.length} field${fields.length === 1 ? '' : 's'}; ${help}`);
  try {
    CronExpressionParser.parse(v);
  } catch (err) {
    throw new InvalidArgumentError(`"${value}" is not a valid cron expression (${(err as Error).message}); ${help}`);
  }
  return v;
}

/** `--timezone`: an IANA time zone name that this Node knows (e.g. UTC, Europe/Berlin). */
export function timezoneOption(value: string): string {
  const v = value.trim();
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
  } catch {
    throw new InvalidArgumentError(`unknown time zone "${value}"; use an IANA name such as UTC, Europe/Berlin or America/New_York`);
  }
  return v;
}

/** `--format`: how to read a file whatever its name says (lib/fileFormat.ts); `json` and `ndjson` are read as `jsonl`. */
export function fileFormatOption(value: string): FileFormat {
  const format = fileFormatNamed(value);
  if (!format) throw new InvalidArgumentError(`expected one of ${FILE_FORMAT_NAMES.join(', ')}, got "${value}"`);
  return format;
}

/** `--map text=body --map id=post_id` → { text: 'body', id: 'post_id' } */
export function mappingOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const [field, column] = value.split('=');
  if (!field || !column) throw new InvalidArgumentError(`expected FIELD=COLUMN, got "${value}"`);
  // the fields are fixed: a typo is refused here, not by the worker after the run has started
  if (!(mappableFields as readonly string[]).includes(field))
    throw new InvalidArgumentError(`unknown field "${field}"; mappable fields: ${mappableFields.join(', ')}`);
  return { ...previous, [field]: column };
}
