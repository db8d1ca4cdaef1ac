import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createTrainingActivities } from '../../activities/train';
import type { Db } from '../../lib/db';
import { FailureType } from '../../lib/failures';
import type { ObjectStore } from '../../lib/objectStore';
import { modelFailuresText } from '../../workflows/retrain';
import { labelledRows, MIN_LABELLED_ROWS, SENTIMENT_CLASSES } from '../../models/sentiment/trainingRows';

const rows = (labels: string[]) => labels.map((label, i) => ({ id: String(i), text: `text ${i}`, label }));

describe('labelledRows: the rows a sentiment classifier trains on', () => {
  it('reads labels in any case and with blanks around them, and counts the rows it leaves out', () => {
    const table = [...rows(['Positive', ' negative ', 'NEUTRAL', 'positive']), ...rows(Array(8).fill('neutral')), ...rows(['', 'pos', 'mixed'])];
    const { rows: kept, skipped, unknownLabels } = labelledRows(table);
    expect(kept).toHaveLength(12);
    expect(kept.slice(0, 4).map((r) => r.label)).toEqual(['positive', 'negative', 'neutral', 'positive']);
    expect(kept[0]).toMatchObject({ id: '0', text: 'text 0' }); // the other columns stay
    expect(skipped).toBe(3);
    expect(unknownLabels).toEqual(['', 'pos', 'mixed']);
    expect(new Set(kept.map((r) => r.label))).toEqual(new Set(SENTIMENT_CLASSES));
  });

  it('refuses too few labelled rows, naming the file, the counts and labels that name no class', () => {
    expect(() => labelledRows(rows(['pos', 'neg', '1', 'neg']), 'train.tsv')).toThrow(
      'train.tsv: 0 of 4 rows have the label negative, neutral or positive (in any case); labels that name none: "pos", "neg", "1"; at least 10 labelled rows are needed',
    );
    // one short of the minimum, every label usable: the count says so, no list of bad labels
    expect(() => labelledRows(rows(Array(MIN_LABELLED_ROWS - 1).fill('positive')))).toThrow(
      `the table: ${MIN_LABELLED_ROWS - 1} of ${MIN_LABELLED_ROWS - 1} rows have the label negative, neutral or positive (in any case); at least ${MIN_LABELLED_ROWS} labelled rows are needed`,
    );
    expect(labelledRows(rows(Array(MIN_LABELLED_ROWS).fill('negative'))).rows).toHaveLength(MIN_LABELLED_ROWS);
    // at most five bad labels are quoted, however many there are
    expect(() => labelledRows(rows(['a', 'b', 'c', 'd', 'e', 'f', 'g']))).toThrow(/labels that name none: "a", "b", "c", "d", "e";/);
  });
});

describe('trainSentiment without training data of its own', () => {
  it('says where the default should be and how to give one, without retrying (InvalidInput)', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-no-shared-'));
    const saved = process.env.SOCIALSENSE_SHARED_DATA;
    process.env.SOCIALSENSE_SHARED_DATA = empty;
    try {
      // fails before any I/O: no store or database is touched
      const training = createTrainingActivities({ store: {} as ObjectStore, db: {} as Db });
      const err = await training.trainSentiment({ runKey: 'unit', trainFile: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe(FailureType.InvalidInput);
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      expect((err as Error).message).toBe(
        `no sentiment training data: the default, SemEval's training set, is not at ${path.join(empty, 'semeval', 'sentiment-train.tsv')}; set SOCIALSENSE_SHARED_DATA to the folder that holds semeval/, or give a labelled TSV (retrain --sentiment-train FILE; the API's sentimentTrainFile)`,
      );
    } finally {
      if (saved === undefined) delete process.env.SOCIALSENSE_SHARED_DATA;
      else process.env.SOCIALSENSE_SHARED_DATA = saved;
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("a retrain's note on models that failed to train", () => {
  it('counts models, not training activities, and names each failure with its root cause', () => {
    const failures = [
      { model: 'sentiment', error: 'InvalidInput: cannot train the sentiment classifier on t.tsv: missing column(s) label (activity trainSentiment)' },
      { model: 'segments and engagement', error: 'socket hang up (activity trainUserModels)' },
    ];
    expect(modelFailuresText(failures, 3, 5)).toBe(
      '3 of 5 models failed to train: sentiment: InvalidInput: cannot train the sentiment classifier on t.tsv: missing column(s) label (activity trainSentiment); segments and engagement: socket hang up (activity trainUserModels)',
    );
  });
});
