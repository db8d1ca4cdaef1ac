import { describe, expect, it } from 'vitest';
import { detectFormat, parseTimestamp, recordToPost, resolveMapping, snowflakeTime } from '../../activities/collect/file';

describe('file import mapping', () => {
  it('derives creation time from Snowflake ids (as in the SemEval files)', () => {
    // 619950566786113536 is a tweet from 2015-07-11
    expect(snowflakeTime('619950566786113536')).toMatch(/^2015-07-11T/);
    expect(snowflakeTime('12345')).toBeNull();
  });

  it('parses ISO, epoch seconds/ms and zone-less timestamps as UTC', () => {
    expect(parseTimestamp('2015-02-26 21:42:53')).toBe('2015-02-26T21:42:53.000Z');
    expect(parseTimestamp('1763546400')).toBe('2025-11-19T10:00:00.000Z');
    expect(parseTimestamp('1763546400000')).toBe('2025-11-19T10:00:00.000Z');
    expect(parseTimestamp('2026-11-19T10:00:00+02:00')).toBe('2026-11-19T08:00:00.000Z');
    expect(parseTimestamp('soon')).toBeNull();
  });

  it('guesses columns, and names the columns present when a mapping is wrong', () => {
    expect(resolveMapping(['id', 'label', 'source', 'text'])).toEqual({ id: 'id', text: 'text' });
    expect(() => resolveMapping(['id', 'words'])).toThrow(/no text column found .* its columns are: id, words/);
    expect(() => resolveMapping(['id', 'text'], { text: 'message' })).toThrow(/names a column the file does not have/);
    expect(() => resolveMapping(['id', 'text'], { colour: 'x' } as never)).toThrow(/unknown field "colour"/);
  });

  it('maps a row to post.v1 and keeps the row verbatim as raw', () => {
    const row = { id: '619950566786113536', label: 'neutral', text: 'hello' };
    const result = recordToPost(row, resolveMapping(Object.keys(row)), 'x', 'fallback');
    expect(result).toMatchObject({ post: { id: 'x:619950566786113536', platform: 'x', text: 'hello', raw: row } });
    expect(recordToPost({ text: 'hi' }, { text: 'text' }, 'file', 'f-2')).toEqual({
      reason: 'no created_at column and the id is not a Snowflake id: map a timestamp column (created_at=COLUMN)',
    });
  });

  it('tells the format from the file name, gzip included', () => {
    expect(detectFormat('a.tsv')).toBe('tsv');
    expect(detectFormat('a.csv.gz')).toBe('csv');
    expect(detectFormat('a.ndjson.gz')).toBe('jsonl');
    expect(() => detectFormat('a.xlsx')).toThrow(/cannot tell the format/);
  });
});
