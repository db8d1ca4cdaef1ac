import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { projectRoot } from '../../lib/paths';
import { workflowBundle } from '../../workers/worker';

/**
 * Determinism guard: histories recorded from real runs (test/replay/record.ts) must replay against
 * today's workflow code. `pipeline-v1` predates the incremental-profiles step, which is behind
 * patched(): old runs still replay.
 */
const dir = path.join(projectRoot, 'test', 'replay', 'histories');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string) {
  const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  return { workflowId: workflowId as string, history: historyFromJSON(history) };
}

describe('replay of recorded histories', () => {
  it('has histories of every entry workflow', () => {
    for (const kind of ['pipeline', 'collect', 'backfill', 'retrain']) expect(files.some((f) => f.startsWith(`${kind}-`))).toBe(true);
  });

  it('replays each of them cleanly', async () => {
    const histories = files.map((f) => load(f));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
      else replayed++;
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  }, 120_000);

  it('notices a non-deterministic change', async () => {
    const { history } = load('pipeline-v2.json');
    // Drop the collect child from the recorded history: today's code schedules it, the history does not.
    const tampered = { events: history.events!.filter((e) => !e.startChildWorkflowExecutionInitiatedEventAttributes) };
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [
      { workflowId: load('pipeline-v2.json').workflowId, history: tampered },
    ]))
      results.push(r);
    expect(results[0].error).toBeDefined();
  }, 60_000);
});
