import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectableSourceOption, cronOption, dateOption, daysOption, postsOption, sourceOption, timezoneOption, wholeNumberOption } from '../../cli/options';
import { daysBetween } from '../../lib/dates';

/** The accepting side of the shared option parsers (the refusing side runs through the CLI in test/integration/cli-options.test.ts). */
describe('option parsers accept what a run can use', () => {
  it('whole numbers at both ends of their range', () => {
    expect(daysOption('1')).toBe(1);
    expect(daysOption('366')).toBe(366);
    expect(daysOption(' 7 ')).toBe(7);
    expect(postsOption('1000000')).toBe(1_000_000);
    const n = wholeNumberOption(2, 5, 'things');
    expect(n('2')).toBe(2);
    expect(() => n('1')).toThrow(InvalidArgumentError);
    expect(() => n('6')).toThrow('too large: got 6 (things: a whole number from 2 to 5)');
    for (const bad of ['1e3', '0x10', '', ' ', '+3', '3.0']) expect(() => n(bad), bad).toThrow(`expected a whole number, got "${bad}"`);
  });

  it('real calendar dates, leap days included', () => {
    for (const d of ['2024-02-29', '2000-02-29', '2026-12-31', '1970-01-01']) expect(dateOption(d)).toBe(d);
    for (const y of ['2023', '2100']) expect(() => dateOption(`${y}-02-29`), y).toThrow(`"${y}-02-29" is not a date: February ${y} has 28 days`);
    expect(() => dateOption('1969-12-31')).toThrow('expected a date from 1970-01-01 on');
    expect(() => dateOption('2024-04-31')).toThrow('"2024-04-31" is not a date: April 2024 has 30 days');
    expect(() => dateOption('2024-06-00')).toThrow('"2024-06-00" is not a date: June 2024 has 30 days');
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(3);
    expect(daysBetween('2024-06-01', '2024-06-01')).toBe(1);
  });

  it('sources, case-insensitively; file only where a file can be read', () => {
    expect(sourceOption('X')).toBe('x');
    expect(sourceOption('file')).toBe('file');
    expect(collectableSourceOption('Simulated')).toBe('simulated');
    expect(collectableSourceOption('reddit')).toBe('reddit');
    expect(() => collectableSourceOption('FILE')).toThrow('"file" cannot be collected again');
  });

  it('cron expressions with lists, ranges, steps and names, and the macros', () => {
    for (const c of ['0 2 * * *', '*/15 * * * 1-5', '30 4 1,15 * *', '0 0 * JAN-MAR MON', '0  2 * * *']) expect(cronOption(c), c).toBe(c.replace(/\s+/g, ' '));
    expect(cronOption('@Daily')).toBe('@daily');
    expect(() => cronOption('0 2 30 2 *')).toThrow('is not a valid cron expression');
    expect(() => cronOption('0 24 * * *')).toThrow(/24.*0-23/);
    expect(() => cronOption('0 0 2 * * *')).toThrow('has 6 fields');
  });

  it('IANA time zones', () => {
    for (const tz of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) expect(timezoneOption(tz)).toBe(tz);
    expect(() => timezoneOption('CEST+2')).toThrow('unknown time zone "CEST+2"');
  });
});
