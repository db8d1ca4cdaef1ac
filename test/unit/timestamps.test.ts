import { describe, expect, it } from 'vitest';
import {
  dayMonthOrder,
  epochToMs,
  excelSerialColumn,
  excelSerialToMs,
  parseTimestamp,
  plausibleDataDay,
  plausibleTime,
  postTime,
  postTimeCheck,
} from '../../lib/timestamps';

const iso = (v: unknown, opts = {}) => {
  const r = parseTimestamp(v, opts);
  return r.ok ? r.iso : `ERR ${r.reason}`;
};

describe('parseTimestamp: every form real exports use', () => {
  it('ISO 8601 with and without a zone (none = UTC), with any fraction, T or space', () => {
    expect(iso('2024-05-01T10:00:00Z')).toBe('2024-05-01T10:00:00.000Z');
    expect(iso('2024-05-01T10:00:00+02:00')).toBe('2024-05-01T08:00:00.000Z');
    expect(iso('2024-05-01T10:00:00-0530')).toBe('2024-05-01T15:30:00.000Z');
    expect(iso('2024-05-02T09:15:00+0000')).toBe('2024-05-02T09:15:00.000Z'); // Facebook Graph
    expect(iso('2024-05-01T10:00:00+02')).toBe('2024-05-01T08:00:00.000Z');
    expect(iso('2024-05-01 12:00')).toBe('2024-05-01T12:00:00.000Z');
    expect(iso('2015-02-26 21:42:53')).toBe('2015-02-26T21:42:53.000Z');
    expect(iso('2024-05-01T10:00:00.123456+00:00')).toBe('2024-05-01T10:00:00.123Z'); // Python isoformat
    expect(iso('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
    expect(iso('2024-05-01 10:00:00 UTC')).toBe('2024-05-01T10:00:00.000Z');
    expect(iso('20240501T101500Z')).toBe('2024-05-01T10:15:00.000Z');
    expect(iso('20240501')).toBe('2024-05-01T00:00:00.000Z');
  });

  it('Twitter v1.1 and RFC 2822, with zones', () => {
    expect(iso('Mon May 13 12:43:51 +0000 2024')).toBe('2024-05-13T12:43:51.000Z');
    expect(iso('Mon May 13 12:43:51 +0200 2024')).toBe('2024-05-13T10:43:51.000Z');
    expect(iso('Mon, 13 May 2024 12:43:51 +0000')).toBe('2024-05-13T12:43:51.000Z');
    expect(iso('13 May 2024 12:43:51 GMT')).toBe('2024-05-13T12:43:51.000Z');
    expect(iso('Mon, 13 May 2024 08:43 EDT')).toBe('2024-05-13T12:43:00.000Z');
    expect(iso('Tue, 1 Jan 24 00:00:00 -0100')).toBe('2024-01-01T01:00:00.000Z');
  });

  it('epoch seconds, milliseconds, microseconds as integer, float or string', () => {
    expect(iso(1763546400)).toBe('2025-11-19T10:00:00.000Z');
    expect(iso('1763546400')).toBe('2025-11-19T10:00:00.000Z');
    expect(iso(1763546400.5)).toBe('2025-11-19T10:00:00.500Z');
    expect(iso('1763546400.250')).toBe('2025-11-19T10:00:00.250Z');
    expect(iso(1763546400000)).toBe('2025-11-19T10:00:00.000Z');
    expect(iso('1763546400000')).toBe('2025-11-19T10:00:00.000Z');
    expect(iso(1763546400000000)).toBe('2025-11-19T10:00:00.000Z');
    expect(iso(1763546400000000000n)).toBe('2025-11-19T10:00:00.000Z');
    expect(epochToMs(1.7635464e9)).toBe(1763546400000);
  });

  it('Excel serial days only when the column is made of them, with the 1900 leap-year bug', () => {
    expect(iso(45413.375, { excelSerial: true })).toBe('2024-05-01T09:00:00.000Z');
    expect(iso('45414.5', { excelSerial: true })).toBe('2024-05-02T12:00:00.000Z');
    expect(iso('45413.416666666664', { excelSerial: true })).toBe('2024-05-01T10:00:00.000Z');
    // serial 61 is 1900-03-01 (serial 60 is Excel's fictitious 1900-02-29), serial 59 is 1900-02-28, 1 is 1900-01-01
    expect(new Date(excelSerialToMs(61)).toISOString()).toBe('1900-03-01T00:00:00.000Z');
    expect(new Date(excelSerialToMs(59)).toISOString()).toBe('1900-02-28T00:00:00.000Z');
    expect(new Date(excelSerialToMs(1)).toISOString()).toBe('1900-01-01T00:00:00.000Z');
    expect(() => excelSerialToMs(60)).toThrow(/does not exist/);
    // without the column decision, a bare 45414.5 is epoch seconds (in 1970), never the year 45414
    expect(iso('45414.5')).toBe('1970-01-01T12:36:54.500Z');
  });

  it('refuses what is not a time, with the reason', () => {
    expect(iso('soon')).toMatch(/^ERR unparseable timestamp "soon"/);
    expect(iso('')).toMatch(/empty/);
    expect(iso(null)).toMatch(/a null/);
    expect(iso('2024-02-30 10:00')).toMatch(/no such date/);
    expect(iso('2024-05-01T25:00:00Z')).toMatch(/no such date/);
    expect(iso('05/01/2024 10:00')).toMatch(/ambiguous/);
    expect(iso('2024-05-01T10:00:00+25:00')).toMatch(/unknown zone|no such/);
  });
});

describe('plausibility and Excel column detection', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');

  it('a window may name the days from 2004-01-01 to tomorrow (UTC), the same bounds', () => {
    for (const day of ['2004-01-01', '2019-06-15', '2026-11-29', '2026-11-30', '2026-12-01']) expect(plausibleDataDay(day, now), day).toBeNull();
    expect(plausibleDataDay('2026-12-02', now)).toBe('2026-12-02 is in the future: days up to 2026-12-01 (tomorrow, UTC) can hold posts');
    expect(plausibleDataDay('2062-11-30', now)).toBe('2062-11-30 is in the future: days up to 2026-12-01 (tomorrow, UTC) can hold posts');
    expect(plausibleDataDay('2003-12-31', now)).toBe('2003-12-31 is before 2004-01-01, the earliest day SocialSense reads posts of');
    expect(plausibleDataDay('1990-01-01', now)).toMatch(/^1990-01-01 is before 2004-01-01/);
    // just before midnight UTC, tomorrow is still the next calendar day
    expect(plausibleDataDay('2026-12-01', Date.parse('2026-11-30T23:59:59Z'))).toBeNull();
    expect(plausibleDataDay('2026-12-02', Date.parse('2026-12-01T00:00:00Z'))).toBeNull();
  });

  it('quarantines times before 2004 or more than a day ahead, and names why', () => {
    expect(plausibleTime(Date.parse('2004-01-01T00:00:00Z'), now)).toBeNull();
    expect(plausibleTime(Date.parse('2003-12-31T23:59:59Z'), now)).toMatch(/before 2004-01-01/);
    expect(plausibleTime(now + 86_400_000, now)).toBeNull();
    expect(plausibleTime(now + 86_400_001, now)).toMatch(/more than a day in the future/);
    expect(postTime('45414.5', { now })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^implausible time 1970-01-01T12:36:54\.500Z: before 2004-01-01/),
    });
    expect(postTime('2031-01-01T00:00:00Z', { now })).toMatchObject({ ok: false, reason: expect.stringMatching(/future/) });
    expect(postTime(0, { now })).toMatchObject({ ok: false });
    expect(postTime('2024-05-01 12:00', { now })).toEqual({ ok: true, iso: '2024-05-01T12:00:00.000Z', ms: Date.parse('2024-05-01T12:00:00Z') });
  });

  it('decides a column is Excel serials from its sampled values and name', () => {
    expect(excelSerialColumn(['45413.375', '2024-05-01 12:00', '45414.5'], 'created_at')).toBe(true); // case 14
    expect(excelSerialColumn([45413, 45414], 'date')).toBe(true); // whole days, the name says date
    expect(excelSerialColumn([45413, 45414], 'count')).toBe(false); // whole numbers, no date name
    expect(excelSerialColumn(['1714557600', '45414.5'], 'created_at')).toBe(false); // epoch seconds among them
    expect(excelSerialColumn(['2024-05-01', ''], 'created_at')).toBe(false); // no numbers at all
    expect(excelSerialColumn([12.5, 45413.2], 'date')).toBe(false); // 12.5 is outside the Excel range
  });

  it('reads serials with a decimal comma (Excel in German, French… locales) in a column of serials, and only there', () => {
    expect(excelSerialColumn(['46346,5', '46346,75'], 'Date')).toBe(true);
    expect(excelSerialColumn(['46346,5', '46346.75', '2026-11-20'], 'x')).toBe(true); // mixed marks, a fraction
    expect(excelSerialColumn(['1,5', '46346,5'], 'date')).toBe(false); // 1.5 is outside the Excel range
    const serial = (v: string) => parseTimestamp(v, { excelSerial: true });
    expect(serial('46346,5')).toEqual(parseTimestamp('46346.5', { excelSerial: true }));
    expect(serial('46346,5')).toMatchObject({ ok: true, ms: Date.parse('2026-11-20T12:00:00Z') });
    expect(serial('46346,75')).toMatchObject({ ok: true, ms: Date.parse('2026-11-20T18:00:00Z') });
    expect(serial(' 46346,041666666667 ')).toMatchObject({ ok: true, ms: Date.parse('2026-11-20T01:00:00Z') });
    // outside a column of serials a decimal comma is not a time (nor a thousands separator)
    expect(parseTimestamp('46346,5')).toMatchObject({ ok: false });
    expect(parseTimestamp('1,714,557,600')).toMatchObject({ ok: false });
  });
});

describe('postTimeCheck: plausibleTime for every post, parsing only times near the bounds', () => {
  it('gives what plausibleTime gives, also at the edges and across offsets', () => {
    const now = Date.UTC(2026, 10, 30, 12);
    const check = postTimeCheck(now);
    const times = [
      '2026-11-28T10:00:00Z', // decided from its date
      '2015-06-01T00:00:00+14:00',
      '2004-01-01T00:00:00Z', // the first plausible instant
      '2004-01-01T04:00:00+05:00', // 2003-12-31T23:00Z
      '2003-12-31T23:00:00-05:00', // 2004-01-01T04:00Z: plausible, though its date says 2003
      '2026-11-30T23:59:59-12:00', // today's date, tomorrow in UTC: within the day ahead allowed
      '2026-12-01T12:00:00Z', // exactly a day ahead
      '2026-12-01T12:00:01Z', // a second more
      '2030-01-01T00:00:00Z',
      '1999-12-31T23:59:59Z',
    ];
    for (const t of times) expect(check(t), t).toBe(plausibleTime(Date.parse(t), now));
    expect(times.map(check).map((r) => r === null)).toEqual([true, true, true, false, true, true, true, false, false, false]);
  });
});

describe('day/month dates (what Excel writes), in the order the column proves', () => {
  it('decides the order of a column from its sampled values', () => {
    expect(dayMonthOrder(['01/05/2024 09:00', '13/05/2024 09:00', '02/05/2024'])).toBe('dmy');
    expect(dayMonthOrder(['5/1/2024 9:00', '5/13/2024 9:00 PM'])).toBe('mdy');
    expect(dayMonthOrder(['13.05.2024', '05.13.2024'])).toBe('mixed');
    expect(dayMonthOrder(['01/05/2024', '12-11-24', ' 3/4/2024 '])).toBe('unknown');
    expect(dayMonthOrder(['2024-05-13T09:00:00Z', 45413.5, null, ''])).toBeNull(); // no value in that form
    // values in other forms beside them do not count
    expect(dayMonthOrder(['2024-05-01', '14/05/2024', 'soon'])).toBe('dmy');
  });

  it('reads a day-first column: /, . and - separators, 2- or 4-digit years, optional seconds', () => {
    const dmy = { dayOrder: 'dmy' as const };
    expect(iso('13/05/2024 09:00', dmy)).toBe('2024-05-13T09:00:00.000Z');
    expect(iso('01/05/2024 09:00', dmy)).toBe('2024-05-01T09:00:00.000Z'); // ≤ 12 both, but the column says day first
    expect(iso('1.5.2024 09:00:30', dmy)).toBe('2024-05-01T09:00:30.000Z');
    expect(iso('31-12-23', dmy)).toBe('2023-12-31T00:00:00.000Z');
    expect(iso('29/02/2024', dmy)).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('30/02/2024', dmy)).toMatch(/no such date or time when read day-first/);
    expect(iso('05/13/2024', dmy)).toMatch(/no such date .*day-first \(DD\/MM\/YYYY\), the order of the rest of the column/);
  });

  it('reads a month-first column, with AM/PM', () => {
    const mdy = { dayOrder: 'mdy' as const };
    expect(iso('5/1/2024 9:00', mdy)).toBe('2024-05-01T09:00:00.000Z');
    expect(iso('5/13/2024 9:05 PM', mdy)).toBe('2024-05-13T21:05:00.000Z');
    expect(iso('5/1/24 12:30 AM', mdy)).toBe('2024-05-01T00:30:00.000Z');
    expect(iso('5/1/24 12:30 pm', mdy)).toBe('2024-05-01T12:30:00.000Z');
    expect(iso('12/31/2023 11:59:59 p.m.', mdy)).toBe('2023-12-31T23:59:59.000Z');
    expect(iso('5/1/2024 13:00 PM', mdy)).toMatch(/hour 13 with PM/);
  });

  it('without a column decision, only a value that proves its own order is read', () => {
    expect(iso('13/05/2024 09:00')).toBe('2024-05-13T09:00:00.000Z');
    expect(iso('05/13/2024 09:00')).toBe('2024-05-13T09:00:00.000Z');
    expect(iso('05/01/2024 10:00')).toMatch(/ambiguous in this form .*ISO 8601/);
  });

  it('refuses an ambiguous or inconsistent column with the reason and how to fix it', () => {
    expect(iso('05/01/2024 10:00', { dayOrder: 'unknown', where: 'column "Date"' })).toMatch(
      /^ERR unparseable timestamp "05\/01\/2024 10:00" in column "Date": day\/month order is ambiguous: no sampled value .* export the column as ISO 8601/,
    );
    // a value that would prove its order alone is still refused: the column was decided ambiguous
    expect(iso('13/05/2024', { dayOrder: 'unknown' })).toMatch(/ambiguous/);
    expect(iso('13/05/2024', { dayOrder: 'mixed' })).toMatch(/both day-first dates .* and month-first ones .*ISO 8601/);
    expect(iso('01/05/2024', { dayOrder: 'mixed' })).toMatch(/both day-first/);
    // ISO is not touched by a column's order
    expect(iso('2024-05-01 12:00', { dayOrder: 'mixed' })).toBe('2024-05-01T12:00:00.000Z');
    expect(iso('2024-05-01', { dayOrder: 'mdy' })).toBe('2024-05-01T00:00:00.000Z');
  });
});
