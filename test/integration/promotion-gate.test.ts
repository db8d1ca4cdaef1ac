/**
 * The promotion gate wired through the training activities, on a registry of this test's own:
 * PGlite (Postgres in this process) and a local object store in a temp folder, so serving versions
 * can be planted, deleted and raced without touching the shared stack's registry. The activities are
 * called directly (they are plain functions; Temporal adds nothing to what is tested here).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateNetwork } from '../../activities/collect/simulated/generator';
import { extractFeatures } from '../../models/pipeline/features';
import { createTrainingActivities, MIN_HELD_OUT_TOPIC_POSTS, type TrainOutcome } from '../../activities/train';
import { readAllRecords, writeJson, writeNdjson } from '../../lib/datasets';
import type { FeaturedPost } from '../../models/pipeline/features';
import { createDb, migrate, type Db } from '../../lib/db';
import { keyFromUri, LocalObjectStore } from '../../lib/objectStore';
import { getModel, listModels, nextVersion, promoteModel, registerModel, servingModel } from '../../lib/registry';
import { postSchema, type DatasetRef, type Post } from '../../lib/schema';
import { openEmbeddedPostgres } from '../../lib/stack';
import { dailyActivity, ENGAGEMENT_FEATURES, engagementExamples, trainLogisticRegression } from '../../models/users/engagement';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-gate-'));
let pg: Awaited<ReturnType<typeof openEmbeddedPostgres>>;
let db: Db;
let store: LocalObjectStore;
let train: ReturnType<typeof createTrainingActivities>;
let inputs: { features: DatasetRef[]; engagements: DatasetRef[]; truthUsers: DatasetRef };
let activity: ReturnType<typeof dailyActivity>;

beforeAll(async () => {
  pg = await openEmbeddedPostgres(path.join(dir, 'pg'));
  await migrate(pg.databaseUrl);
  store = new LocalObjectStore(path.join(dir, 'objects'));
  await store.ensureBucket();
  db = createDb(pg.databaseUrl, 1);
  train = createTrainingActivities({ store, db });
  // a simulated window: 10 days of 150 posts, as the pipeline would have stored it after features
  const sim = simulateNetwork({ seed: 5, days: 10, postsPerDay: 150 });
  const seen = new Set<string>();
  const posts: Post[] = [];
  for (const day of sim.days) {
    for (const r of day.posts) {
      const p = postSchema.safeParse(r);
      if (p.success && !seen.has(p.data.id)) {
        seen.add(p.data.id);
        posts.push(p.data);
      }
    }
  }
  const engagements = sim.days.flatMap((d) => d.engagements);
  inputs = {
    features: [await writeNdjson(store, 'features/window.ndjson.gz', extractFeatures(posts), 'featured-post.v1')],
    engagements: [await writeNdjson(store, 'engagements/window.ndjson.gz', engagements, 'engagement.v1')],
    truthUsers: await writeNdjson(
      store,
      'truth/users.ndjson.gz',
      sim.users.map((u) => ({ id: u.id, segment: u.segment })),
      'truth-users.v1',
    ),
  };
  activity = dailyActivity(
    posts.map((p) => ({ id: p.id, authorId: p.author.id, createdAt: p.created_at })),
    engagements.map((e) => ({ userId: e.user_id, postId: e.post_id, at: e.at })),
  );
}, 120_000);

afterAll(async () => {
  await db?.end();
  await pg?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const userModels = async (runKey: string) => {
  const [segments, engagement] = await train.trainUserModels({ runKey, ...inputs });
  return { segments, engagement };
};
const recommender = (runKey: string) => train.trainRecommender({ runKey, features: inputs.features, engagements: inputs.engagements });

/** what the registry row says about the decision */
async function recorded(o: TrainOutcome) {
  const row = (await getModel(db, o.name, o.version))!;
  return {
    status: row.status,
    baseline: row.baseline as Record<string, unknown> & { serving: unknown; gate: { promote: boolean; comparedWith: string; reason: string } },
  };
}

describe('one promotion gate, every contender on the same held-out data', () => {
  it('first versions: nothing serves, each needs only to beat its baseline', async () => {
    const rec = await recommender('gate-1');
    const { segments, engagement } = await userModels('gate-1');
    for (const o of [rec, segments, engagement]) {
      expect(o.serving).toBeNull();
      expect(o.comparedWith).toBe('baseline');
      expect(o.reason).toMatch(/nothing serves/);
      const metric = { recommender: 'ndcg10', segments: 'silhouette', engagement: 'auc' }[o.name]!;
      expect(o.promoted).toBe(o.metrics[metric] > o.baseline![metric]);
      const row = await recorded(o);
      expect(row.status).toBe(o.promoted ? 'serving' : 'rejected');
      expect(row.baseline.serving).toBeNull();
      expect(row.baseline.gate.promote).toBe(o.promoted);
      expect(row.baseline[metric]).toBe(o.baseline![metric]);
    }
    // the simulated window has structure every model finds
    expect(rec.promoted).toBe(true);
    expect(segments.promoted).toBe(true);
    expect(segments.metrics.ari).toBeGreaterThan(0.3);
    expect(segments.baseline!.ari).toBeLessThan(0.2);
  }, 120_000);

  it('a retrain that reproduces the serving version ties on the same data, and a tie does not promote', async () => {
    const before = await servingModel(db, 'recommender');
    const rec = await recommender('gate-2');
    expect(rec.comparedWith).toBe('serving');
    expect(rec.serving).toEqual({
      version: before!.version,
      figures: { ndcg10: rec.metrics.ndcg10, recall10: rec.metrics.recall10, coverage: rec.metrics.coverage },
    });
    expect(rec.promoted).toBe(false);
    expect(rec.reason).toMatch(/ties serving v\d+ \(a tie does not promote\)/);
    expect((await servingModel(db, 'recommender'))!.version).toBe(before!.version);
    const row = await recorded(rec);
    expect(row.status).toBe('rejected');
    expect(row.baseline.serving).toEqual({
      version: before!.version,
      ndcg10: rec.metrics.ndcg10,
      recall10: rec.metrics.recall10,
      coverage: rec.metrics.coverage,
    });

    const servingSegments = await servingModel(db, 'segments');
    const { segments } = await userModels('gate-2');
    expect(segments.serving).toMatchObject({
      version: servingSegments!.version,
      figures: { silhouette: segments.metrics.silhouette, ari: segments.metrics.ari },
    });
    expect(segments.promoted).toBe(false);
    expect((await servingModel(db, 'segments'))!.version).toBe(servingSegments!.version);
  }, 120_000);

  it('topics: a window too small to tell is not promoted, whatever its figures (a 65-post file once replaced the model of every source)', async () => {
    // the window's first 300 posts: 30 held out
    const few = (await readAllRecords<FeaturedPost>(store, inputs.features[0])).slice(0, 300);
    const smallWindow = await writeNdjson(store, 'features/small-window.ndjson.gz', few, 'featured-post.v1');
    const small = await train.trainTopics({ runKey: 'gate-topics-small', features: [smallWindow], k: 8 });
    const heldOut = Math.ceil(small.metrics.posts / 10);
    expect(heldOut).toBe(30);
    expect(heldOut).toBeLessThan(MIN_HELD_OUT_TOPIC_POSTS);
    expect(small.promoted).toBe(false);
    expect(small.reason).toMatch(new RegExp(`kept out: .*held out ${heldOut} posts, fewer than the ${MIN_HELD_OUT_TOPIC_POSTS} a decision needs`));
    expect((await getModel(db, 'topics', small.version))!.status).toBe('rejected');
  });

  it('topics: a refit that reproduces the serving model ties on the held-out posts and is not promoted (it used to be)', async () => {
    const first = await train.trainTopics({ runKey: 'gate-topics-1', features: inputs.features, k: 8 });
    expect(first.serving).toBeNull();
    expect(first.baseline!.npmi).toBeLessThan(first.metrics.npmi); // frequent words dealt into lists are less coherent than topics
    expect(first.promoted).toBe(true);
    const again = await train.trainTopics({ runKey: 'gate-topics-2', features: inputs.features, k: 8 });
    expect(again.serving).toEqual({ version: first.version, figures: { npmi: first.metrics.npmi } });
    expect(again.metrics.npmi).toBe(first.metrics.npmi);
    expect(again.promoted).toBe(false);
    expect(again.reason).toMatch(new RegExp(`ties serving v${first.version} \\(a tie does not promote\\)`));
    expect((await servingModel(db, 'topics'))!.version).toBe(first.version);
  }, 120_000);

  it('a candidate below the serving version on the same days is not promoted, however far above the baselines', async () => {
    // a serving engagement model that has seen the test days (fitted on every day): it is better there than any honest candidate
    const all = engagementExamples(activity);
    const leaky = trainLogisticRegression(all.x, all.y, all.n, all.d);
    const version = await nextVersion(db, 'engagement');
    const ref = await writeJson(
      store,
      `models/engagement/v${version}.json`,
      { weights: [...leaky.weights], bias: leaky.bias, features: [...ENGAGEMENT_FEATURES], mean: [...leaky.mean], std: [...leaky.std] },
      'logistic.v1',
    );
    await registerModel(db, { name: 'engagement', version, metrics: { auc: 0.99 }, artifactUri: ref.uri });
    await promoteModel(db, 'engagement', version);
    const { engagement } = await userModels('gate-3');
    expect(engagement.serving).toMatchObject({ version });
    const servingAuc = (engagement.serving as { version: number; figures: Record<string, number> }).figures.auc;
    // scored on the candidate's test days, not the 0.99 it was registered with
    expect(servingAuc).toBeLessThan(0.99);
    expect(servingAuc).toBeGreaterThan(engagement.metrics.auc);
    expect(engagement.promoted).toBe(false);
    expect(engagement.reason).toMatch(new RegExp(`below serving v${version}`));
    expect((await servingModel(db, 'engagement'))!.version).toBe(version);
  }, 120_000);

  it('a serving version whose artifact is missing is named, and the candidate is judged on the baseline alone', async () => {
    const before = (await servingModel(db, 'recommender'))!;
    await store.remove([keyFromUri(store, before.artifactUri)]);
    const rec = await recommender('gate-4');
    expect(rec.serving).toEqual({ version: before.version, missing: `its artifact ${before.artifactUri} is missing` });
    expect(rec.comparedWith).toBe('baseline');
    expect(rec.reason).toMatch(/serving v\d+ not compared: its artifact .* is missing; compared with the baseline only/);
    expect(rec.promoted).toBe(rec.metrics.ndcg10 > rec.baseline!.ndcg10);
    expect(rec.promoted).toBe(true);
    expect((await servingModel(db, 'recommender'))!.version).toBe(rec.version);
    const row = await recorded(rec);
    expect(row.baseline.serving).toEqual({ version: before.version, missing: `its artifact ${before.artifactUri} is missing` });
    expect(row.baseline.gate.comparedWith).toBe('baseline');
  }, 120_000);

  it('a serving version trained on other features cannot be scored: it says so and falls back to the baseline', async () => {
    const version = await nextVersion(db, 'engagement');
    const ref = await writeJson(
      store,
      `models/engagement/v${version}.json`,
      { weights: [1], bias: 0, features: ['given_1d'], mean: [0], std: [1] },
      'logistic.v1',
    );
    await registerModel(db, { name: 'engagement', version, metrics: { auc: 0.9 }, artifactUri: ref.uri });
    await promoteModel(db, 'engagement', version);
    const { engagement } = await userModels('gate-5');
    expect(engagement.serving).toEqual({
      version,
      missing: `it cannot be scored on this data: it was trained on features given_1d, not ${ENGAGEMENT_FEATURES.join(', ')}`,
    });
    expect(engagement.comparedWith).toBe('baseline');
    expect(engagement.promoted).toBe(engagement.metrics.auc > engagement.baseline!.auc);
    expect((await listModels(db, 'engagement')).filter((m) => m.status === 'serving')).toHaveLength(1);
  }, 120_000);
});
