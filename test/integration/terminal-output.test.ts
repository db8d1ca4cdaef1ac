import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../lib/stack';
import { runCli } from '../helpers/cli';
import { requireStack, uniqueId } from '../helpers/stack';

/**
 * A user whose handle, segment name and recommended items carry terminal escape sequences, stored as
 * a run would store them, then printed by `socialsense insights recommend` as a table and as JSON.
 */

const ESC = '\u001b';
const BEL = '\u0007';
/** what a terminal acts on: C0 controls except \n, DEL, C1 controls */
const CONTROL_BYTES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const HANDLE = `${ESC}]0;you have been pwned${BEL}${ESC}[31mmallory${ESC}[0m\r\b\b\u009b2Jx`;
const SEGMENT = `${ESC}[5mnight owls${ESC}[25m`;
const ITEM = `x:${ESC}]8;;https://evil.example${ESC}\\eve${ESC}]8;;${ESC}\\`;

let stack: Stack;
const userId = `x:${uniqueId('hostile')}`;

beforeAll(async () => {
  stack = await requireStack();
  await stack.db.query(
    `INSERT INTO user_insights (user_id, run_key, handle, profile, segment_name, engagement_probability, recommendations, updated_at)
     VALUES ($1, $2, $3, '{}'::jsonb, $4, 0.42, $5::jsonb, '2026-11-24T10:00:00Z')`,
    [userId, 'pipeline-terminal-test', HANDLE, SEGMENT, JSON.stringify([{ item: ITEM, kind: 'author', score: 0.9 }])],
  );
});
afterAll(async () => {
  await stack?.db.query('DELETE FROM user_insights WHERE user_id = $1', [userId]);
  await stack?.close();
});

describe('insights output with a hostile handle', () => {
  it('the table shows the handle without ESC, BEL, CR, backspace or C1 bytes', async () => {
    const r = await runCli(['insights', 'recommend', '--user', userId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(CONTROL_BYTES);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`Recommendations for @mallory x (${userId})`);
    expect(lines[1]).toMatch(/^segment night owls · engagement probability 42% · updated 2026-11-24 10:00 UTC by pipeline-terminal-test$/);
    expect(r.stdout).toMatch(/\n1 {2}x:eve {2}author {2}0\.900\n/);
  });

  it('--json keeps the exact stored text, escaped, and nothing raw', async () => {
    const r = await runCli(['insights', 'recommend', '--user', userId, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd()).not.toMatch(CONTROL_BYTES);
    const data = JSON.parse(r.stdout);
    expect(data.handle).toBe(HANDLE);
    expect(data.segmentName).toBe(SEGMENT);
    expect(data.recommendations[0].item).toBe(ITEM);
  });
});
