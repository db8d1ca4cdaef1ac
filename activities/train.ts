import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { readNdjson, writeBinary, writeJson } from '../lib/datasets';
import { sharedDataDir } from '../lib/paths';
import { nextVersion, promoteModel, registerModel, rejectModel, servingModel } from '../lib/registry';
import type { DatasetRef, Engagement, SentimentLabel } from '../lib/schema';
import { readTableAll, requireColumns } from '../lib/tabular';
import { normalizedMutualInformation, adjustedRandIndex } from '../models/eval/clustering';
import { compareWithPopularity } from '../models/recommend/evaluate';
import { indexInteractions } from '../models/recommend/evaluate';
import { classificationMetrics } from '../models/sentiment/metrics';
import { scoreSentiment } from '../models/sentiment/lexicon';
import { trainSentimentClassifier } from '../models/sentiment/classifier';
import { fitTopicModel, type TopicModel } from '../models/topics/lda';
import { npmiCoherence, topicDiversity } from '../models/topics/metrics';
import { extractTerms, Vocabulary } from '../models/topics/terms';
import { evaluateEngagementPrediction, ENGAGEMENT_FEATURES } from '../models/users/engagement';
import { computeProfiles } from '../models/users/profile';
import { segmentProfiles, SEGMENT_FEATURES, transformFeature } from '../models/users/segments';
import type { FeaturedPost } from './features';
import { heartbeat } from './heartbeat';
import { activityOf, profileInputs } from './userModelInputs';
import { createServingModels, type EngagementArtifact, type SegmentsArtifact } from './servingModels';

export interface TrainOutcome {
  name: string;
  version: number;
  promoted: boolean;
  reason: string;
  metrics: Record<string, number>;
  baseline: Record<string, number> | null;
}

const SENTIMENT_CLASSES: SentimentLabel[] = ['negative', 'neutral', 'positive'];
const ENGAGEMENT_WEIGHTS = { like: 1, repost: 2, reply: 3 } as const;

async function readAll<T>(store: ObjectStore, refs: DatasetRef[]): Promise<T[]> {
  const out: T[] = [];
  for (const ref of refs) {
    heartbeat({ reading: ref.uri });
    out.push(...(await readNdjson<T>(store, ref)));
  }
  return out;
}

export function createTrainingActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  const serving = createServingModels(deps);

  /** Registers a version and promotes it when `better` says so; otherwise it stays on record, rejected. */
  async function decide(
    m: { name: string; version: number; artifact: DatasetRef; metrics: Record<string, number>; baseline: Record<string, number> | null; params?: object; lineage: object; runKey: string },
    better: { promote: boolean; reason: string },
  ): Promise<TrainOutcome> {
    await registerModel(db, { ...m, artifactUri: m.artifact.uri });
    if (better.promote) await promoteModel(db, m.name, m.version);
    else await rejectModel(db, m.name, m.version);
    return { name: m.name, version: m.version, promoted: better.promote, reason: better.reason, metrics: m.metrics, baseline: m.baseline };
  }

  return {
    /**
     * Trains the sentiment classifier on a labelled TSV (`text`, `label`). The newest tenth (by id, i.e.
     * by time for tweets) is held out; the candidate must beat the serving version there, or the
     * lexicon when nothing serves.
     */
    async trainSentiment(input: { runKey: string; trainFile?: string | null }): Promise<TrainOutcome> {
      const file = input.trainFile ?? path.join(sharedDataDir(), 'semeval', 'sentiment-train.tsv');
      const rows = await readTableAll(file).catch((err) => {
        throw ApplicationFailure.nonRetryable(`cannot read sentiment training data: ${(err as Error).message}`, 'InvalidInput');
      });
      requireColumns(file, rows, ['text', 'label']);
      const labelled = rows.filter((r) => (SENTIMENT_CLASSES as string[]).includes(r.label));
      labelled.sort((a, b) => (a.id ?? '').localeCompare(b.id ?? '', undefined, { numeric: true }));
      const cut = Math.floor(labelled.length * 0.9);
      const train = labelled.slice(0, cut);
      const test = labelled.slice(cut);
      heartbeat({ training: train.length });
      const candidate = trainSentimentClassifier(
        train.map((r) => r.text),
        train.map((r) => r.label as SentimentLabel),
        { seed: 1 },
      );
      const gold = test.map((r) => r.label as SentimentLabel);
      const texts = test.map((r) => r.text);
      const macro = (predicted: SentimentLabel[]) => classificationMetrics(gold, predicted, SENTIMENT_CLASSES).macroRecall;
      const metrics = { macroRecall: macro(candidate.predictBatch(texts).map((p) => p.label)), heldOut: test.length, trained: train.length };
      const current = await serving.sentiment();
      const baselineRecall = current ? macro(current.model.predictBatch(texts).map((p) => p.label)) : macro(texts.map((t) => scoreSentiment(t).label));
      const baseline = { macroRecall: baselineRecall, ...(current ? { servingVersion: current.version } : { lexicon: 1 }) };
      const version = await nextVersion(db, 'sentiment');
      const artifact = await writeBinary(store, `models/sentiment/v${version}.bin`, candidate.serialize(), 'sentiment-classifier.v1');
      return decide(
        { name: 'sentiment', version, artifact, metrics, baseline, params: candidate.header as object, lineage: { trainFile: file }, runKey: input.runKey },
        {
          promote: metrics.macroRecall > baselineRecall,
          reason: `held-out macro recall ${metrics.macroRecall.toFixed(4)} vs ${current ? `serving v${current.version}` : 'lexicon'} ${baselineRecall.toFixed(4)}`,
        },
      );
    },

    /** Fits the short-text topic model on the window's posts; judged by held-out NPMI against the serving model. */
    async trainTopics(input: { runKey: string; features: DatasetRef[]; k?: number; truth?: DatasetRef[] }): Promise<TrainOutcome> {
      const posts = await readAll<FeaturedPost>(store, input.features);
      if (posts.length < 50) throw ApplicationFailure.nonRetryable(`only ${posts.length} posts in the window: too few to fit topics`, 'InvalidInput');
      const terms = posts.map((p) => extractTerms(p.text));
      // Every tenth post is held out: NPMI on posts neither model was fitted on.
      const trainIdx = terms.map((_, i) => i).filter((i) => i % 10 !== 0);
      const testTerms = terms.filter((_, i) => i % 10 === 0);
      const vocabulary = Vocabulary.build(trainIdx.map((i) => terms[i]));
      heartbeat({ fitting: trainIdx.length });
      const model = fitTopicModel(vocabulary.encodeAll(trainIdx.map((i) => terms[i])), input.k ?? 12, 100, { seed: 1, vocabulary: vocabulary.terms });
      const topicsOf = (m: TopicModel) => Array.from({ length: m.k }, (_, t) => m.topTerms(t, 10)).filter((t) => t.length > 0);
      const npmi = (m: TopicModel) => npmiCoherence(topicsOf(m), testTerms, 10).mean;
      const metrics: Record<string, number> = { npmi: npmi(model), diversity: topicDiversity(topicsOf(model)), k: model.k, posts: posts.length };
      if (input.truth?.length) {
        const truth = new Map((await readAll<{ id: string; topic: string }>(store, input.truth)).map((t) => [t.id, t.topic]));
        const known = posts.filter((p) => truth.has(p.id));
        const vocabIds = (p: FeaturedPost) => vocabulary.encode(extractTerms(p.text));
        metrics.nmi = normalizedMutualInformation(known.map((p) => truth.get(p.id)!), known.map((p) => model.assign(vocabIds(p), { iterations: 20, seed: 1 })));
      }
      const current = await serving.topics();
      const baseline = current ? { npmi: npmi(current.model), servingVersion: current.version } : null;
      const version = await nextVersion(db, 'topics');
      const artifact = await writeBinary(store, `models/topics/v${version}.bin`, model.serialize(), 'topic-model.v1');
      await db.query(`DELETE FROM topic_terms WHERE model_version = $1`, [version]);
      for (let t = 0; t < model.k; t++) {
        const top = model.topTerms(t, 10);
        if (top.length) await db.query(`INSERT INTO topic_terms (model_version, topic, label, terms, weights) VALUES ($1,$2,$3,$4,$5)`, [version, t, top.slice(0, 3).join(' · '), top, top.map((_, i) => 1 / (i + 1))]);
      }
      return decide(
        { name: 'topics', version, artifact, metrics, baseline, params: { k: model.k, method: model.method }, lineage: { features: input.features.map((r) => r.uri) }, runKey: input.runKey },
        {
          promote: !baseline || metrics.npmi >= baseline.npmi,
          reason: baseline ? `held-out NPMI ${metrics.npmi.toFixed(4)} vs serving v${baseline.servingVersion} ${baseline.npmi.toFixed(4)}` : 'first topic model',
        },
      );
    },

    /**
     * Implicit-feedback ALS over user × author engagements (what a creator wants: who to engage with),
     * judged on each user's latest interactions beside the popularity baseline.
     */
    async trainRecommender(input: { runKey: string; features: DatasetRef[]; engagements: DatasetRef[] }): Promise<TrainOutcome> {
      const posts = await readAll<FeaturedPost>(store, input.features);
      const authorOf = new Map(posts.map((p) => [p.id, p.author.id]));
      const engagements = await readAll<Engagement>(store, input.engagements);
      const log = indexInteractions(
        engagements
          .filter((e) => authorOf.has(e.post_id) && authorOf.get(e.post_id) !== e.user_id)
          .map((e) => ({ user: e.user_id, item: authorOf.get(e.post_id)!, weight: ENGAGEMENT_WEIGHTS[e.kind], time: Date.parse(e.at) })),
      );
      if (log.user.length < 100) throw ApplicationFailure.nonRetryable(`only ${log.user.length} engagements in the window: too few to train a recommender`, 'InvalidInput');
      heartbeat({ interactions: log.user.length });
      const cmp = compareWithPopularity(log, { als: { factors: 16, iterations: 10, seed: 1 } });
      const metrics = { ndcg10: cmp.model.ndcg, recall10: cmp.model.recall, coverage: cmp.model.coverage, users: cmp.users, items: cmp.items };
      const baseline = { ndcg10: cmp.baseline.ndcg, recall10: cmp.baseline.recall, coverage: cmp.baseline.coverage };
      const current = await servingModel(db, 'recommender');
      const servingNdcg = current ? Number(current.metrics.ndcg10) : -Infinity;
      const version = await nextVersion(db, 'recommender');
      const artifact = await writeBinary(store, `models/recommender/v${version}.bin`, cmp.als.serialize(), 'als.v1');
      const beatsPopularity = metrics.ndcg10 > baseline.ndcg10;
      return decide(
        { name: 'recommender', version, artifact, metrics, baseline, params: cmp.als.options, lineage: { engagements: input.engagements.map((r) => r.uri) }, runKey: input.runKey },
        {
          // Versions are trained on different windows; the serving one's held-out NDCG is the bar, within 5%.
          promote: beatsPopularity && metrics.ndcg10 >= servingNdcg * 0.95,
          reason: `NDCG@10 ${metrics.ndcg10.toFixed(4)} vs popularity ${baseline.ndcg10.toFixed(4)}${current ? `, serving v${current.version} ${servingNdcg.toFixed(4)}` : ''}`,
        },
      );
    },

    /** User segments (k chosen by silhouette) and next-day engagement prediction, from the window's profiles. */
    async trainUserModels(input: { runKey: string; features: DatasetRef[]; engagements: DatasetRef[]; truthUsers?: DatasetRef | null }): Promise<TrainOutcome[]> {
      const posts = await readAll<FeaturedPost>(store, input.features);
      const engagements = await readAll<Engagement>(store, input.engagements);
      const inputs = profileInputs(posts, engagements);
      const profiles = computeProfiles(inputs.posts, inputs.engagements);
      heartbeat({ profiles: profiles.length });
      const seg = segmentProfiles(profiles, { seed: 1 });
      const rows = profiles.map((p) => SEGMENT_FEATURES.map((f) => transformFeature(f.value(p) ?? NaN, f.log)));
      const mean = SEGMENT_FEATURES.map((_, f) => avg(rows.map((r) => r[f]).filter(Number.isFinite)));
      const std = SEGMENT_FEATURES.map((_, f) => Math.sqrt(avg(rows.map((r) => r[f]).filter(Number.isFinite).map((v) => (v - mean[f]) ** 2))) || 1);
      const segArtifact: SegmentsArtifact = {
        features: SEGMENT_FEATURES.map((f) => f.name),
        mean,
        std,
        centroids: seg.centroids.map((c) => SEGMENT_FEATURES.map((f, i) => (transformFeature(c[f.name] ?? mean[i], f.log) - mean[i]) / std[i])),
        names: seg.names,
      };
      const segMetrics: Record<string, number> = { k: seg.k, silhouette: seg.silhouette, users: profiles.length };
      if (input.truthUsers) {
        const planted = new Map((await readNdjson<{ id: string; segment: string }>(store, input.truthUsers)).map((u) => [u.id, u.segment]));
        const known = profiles.map((p, i) => [planted.get(p.userId), seg.assignments[i]] as const).filter(([t]) => t !== undefined);
        segMetrics.ari = adjustedRandIndex(known.map(([t]) => t!), known.map(([, a]) => a));
      }
      const segVersion = await nextVersion(db, 'segments');
      const segRef = await writeJson(store, `models/segments/v${segVersion}.json`, segArtifact, 'segments.v1');
      const currentSeg = await servingModel(db, 'segments');
      const segOutcome = await decide(
        { name: 'segments', version: segVersion, artifact: segRef, metrics: segMetrics, baseline: currentSeg ? { silhouette: Number(currentSeg.metrics.silhouette) } : null, params: { features: segArtifact.features, names: seg.names }, lineage: { features: input.features.map((r) => r.uri) }, runKey: input.runKey },
        // Segments describe the current population; a fresh fit with a real structure (silhouette > 0.1) replaces the old one.
        { promote: seg.silhouette > 0.1, reason: `k=${seg.k}, silhouette ${seg.silhouette.toFixed(3)}` },
      );

      const activity = activityOf(posts, engagements);
      const testDays = Math.max(1, Math.min(7, Math.floor((activity.numDays - 2) / 2)));
      const { model, evaluation } = evaluateEngagementPrediction(activity, { testDays });
      const engMetrics = { auc: evaluation.auc, testExamples: evaluation.testExamples, testPositiveRate: evaluation.testPositiveRate };
      const engBaseline = { auc: Math.max(evaluation.baseline.engagedYesterday, evaluation.baseline.recentActivity), ...evaluation.baseline };
      const engArtifact: EngagementArtifact = { weights: model.weights, bias: model.bias, features: [...ENGAGEMENT_FEATURES], mean: [...model.mean], std: [...model.std] };
      const engVersion = await nextVersion(db, 'engagement');
      const engRef = await writeJson(store, `models/engagement/v${engVersion}.json`, { ...engArtifact, weights: [...model.weights] }, 'logistic.v1');
      const currentEng = await servingModel(db, 'engagement');
      const engOutcome = await decide(
        { name: 'engagement', version: engVersion, artifact: engRef, metrics: engMetrics, baseline: engBaseline, params: { testDays, coefficients: evaluation.coefficients }, lineage: { features: input.features.map((r) => r.uri), engagements: input.engagements.map((r) => r.uri) }, runKey: input.runKey },
        {
          promote: evaluation.auc > engBaseline.auc && (!currentEng || evaluation.auc >= Number(currentEng.metrics.auc) * 0.95),
          reason: `AUC ${evaluation.auc.toFixed(3)} vs best baseline ${engBaseline.auc.toFixed(3)}${currentEng ? `, serving v${currentEng.version} ${Number(currentEng.metrics.auc).toFixed(3)}` : ''}`,
        },
      );
      return [segOutcome, engOutcome];
    },
  };
}

function avg(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}
