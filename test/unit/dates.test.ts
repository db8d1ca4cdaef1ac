import { describe, expect, it } from 'vitest';
import { addDays, DAY_MS, dayRange, daysBetween, dayStartMs, isIsoDay, ISO_DAY, yesterday } from '../../lib/dates';

describe('lib/dates: UTC days as YYYY-MM-DD', () => {
  it('moves days across month, year and leap-day boundaries', () => {
    expect(addDays('2026-11-30', 1)).toBe('2026-12-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-11-24', 0)).toBe('2026-11-24');
    expect(addDays('2026-11-24', -6)).toBe('2026-11-18');
  });

  it('counts and lists the days of a window, both ends included', () => {
    expect(daysBetween('2026-11-24', '2026-11-24')).toBe(1);
    expect(daysBetween('2026-02-27', '2026-03-02')).toBe(4);
    expect(daysBetween('2026-11-25', '2026-11-24')).toBe(0);
    expect(dayRange('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(dayRange('2026-11-25', '2026-11-24')).toEqual([]);
  });

  it('tells a real calendar day from text that only looks like one', () => {
    expect(isIsoDay('2026-11-24')).toBe(true);
    expect(isIsoDay('2028-02-29')).toBe(true);
    expect(isIsoDay('2026-02-29')).toBe(false);
    expect(isIsoDay('2026-13-01')).toBe(false);
    expect(isIsoDay('24/11/2026')).toBe(false);
    expect(isIsoDay('2026-11-24T00:00:00Z')).toBe(false);
    expect(isIsoDay(20261124)).toBe(false);
    // the shape alone, as workflow input checks use it
    expect(ISO_DAY.test('2026-02-31')).toBe(true);
    expect(ISO_DAY.test('2026-1-31')).toBe(false);
  });

  it('yesterday is the UTC day before the given instant, at any hour of it', () => {
    expect(yesterday(Date.parse('2026-11-30T00:00:00Z'))).toBe('2026-11-29');
    expect(yesterday(Date.parse('2026-11-30T23:59:59.999Z'))).toBe('2026-11-29');
    expect(yesterday(Date.parse('2027-01-01T10:00:00Z'))).toBe('2026-12-31');
    expect(dayStartMs('2026-11-30') % DAY_MS).toBe(0);
    expect(Number.isNaN(dayStartMs('not a day'))).toBe(true);
  });
});
