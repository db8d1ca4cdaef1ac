/**
 * The per-stage work the throughput benchmark times, one function per stage, each calling the
 * pipeline's own code (models/ and the pure halves of activities/) on posts as collect hands them on.
 * Used in-process for the one-core figure and inside worker threads for the all-cores figure.
 */
import { extractFeatures, type FeatureModels } from '../models/pipeline/features';
import { preprocessPosts } from '../models/pipeline/preprocess';
import type { Post } from '../lib/schema';
import { scoreSentiment } from '../models/sentiment/lexicon';
import { vaderSentiment } from '../models/sentiment/vaderBaseline';
import { detectLanguage } from '../models/text/language';
import { createNearDuplicateIndex } from '../models/text/nearDuplicates';
import { tokenize } from '../models/text/tokenize';
import { DEFAULT_K } from '../cli/eval/topics';
import { fitTopicModel, loadTopicModel, type TopicModel } from '../models/topics/topicModel';
import { extractTerms, Vocabulary } from '../models/topics/terms';
import { collectPosts } from './corpus';

/**
 * In pipeline order: the text models first, then the two activities that combine them. `vaderNpm` is not a pipeline
 * stage: it is the vader-sentiment npm port on the same posts, the peer that `sentiment` is reported against
 * (`ratioToVaderNpm`, measured in the same run).
 */
export const STAGES = ['tokenize', 'language', 'nearDuplicates', 'sentiment', 'vaderNpm', 'topicInference', 'preprocess', 'features'] as const;
export type StageName = (typeof STAGES)[number];

/** Same fold-in settings as the features activity uses for the serving topic model. */
const ASSIGN_OPTIONS = { iterations: 10, seed: 1 };

export interface TopicFit {
  bytes: Uint8Array;
  posts: number;
  vocabulary: number;
  seconds: number;
}

/** The topic model the inference stages use: fitted on a sample of the corpus it is then timed on. */
export function fitBenchTopicModel(texts: readonly string[], iterations = 30): TopicFit {
  const t0 = performance.now();
  const terms = texts.map(extractTerms);
  const vocabulary = Vocabulary.build(terms);
  const model = fitTopicModel(vocabulary.encodeAll(terms), DEFAULT_K, iterations, { seed: 1, vocabulary: vocabulary.terms });
  return { bytes: model.serialize(), posts: texts.length, vocabulary: vocabulary.size, seconds: (performance.now() - t0) / 1000 };
}

export interface StageTiming {
  /** posts the stage consumed (reps × its input) */
  posts: number;
  ms: number;
}

export interface StageRunner {
  /** Replaces the current chunk: records (objects or JSON lines) in the source's own columns. */
  load(records: readonly unknown[]): { posts: number; rejected: number };
  /** Runs a stage `reps` times over the current chunk; only the stage itself is timed. */
  run(stage: StageName, reps?: number): StageTiming;
  /** keeps the results observable so no work can be optimised away */
  readonly sink: number;
}

export function createStageRunner(opts: { topicModel: Uint8Array; columns: readonly string[]; platform: string }): StageRunner {
  const model: TopicModel = loadTopicModel(opts.topicModel);
  const vocabulary = new Vocabulary(model.terms ?? []);
  const featureModels: FeatureModels = { topics: { version: 0, model } };
  let records: readonly unknown[] = [];
  let posts: Post[] = [];
  let sink = 0;

  const fresh = () => collectPosts(records, opts.columns, opts.platform).posts;
  const eachPost = (fn: (post: Post) => number) => (input: Post[]) => {
    for (let i = 0; i < input.length; i++) sink += fn(input[i]);
  };
  // `input` is prepared outside the timed region, `run` is what is timed.
  const stages: Record<StageName, { input: () => Post[]; run: (input: Post[]) => void }> = {
    tokenize: { input: () => posts, run: eachPost((p) => tokenize(p.text).length) },
    language: { input: () => posts, run: eachPost((p) => (detectLanguage(p.text) ?? '').length) },
    nearDuplicates: {
      input: () => posts,
      // One index per chunk, as a per-partition job would build it.
      run: (input) => {
        const index = createNearDuplicateIndex();
        eachPost((p) => (index.add(p.id, p.text).duplicateOf ? 1 : 0))(input);
      },
    },
    sentiment: { input: () => posts, run: eachPost((p) => scoreSentiment(p.text).compound) },
    vaderNpm: { input: () => posts, run: eachPost((p) => vaderSentiment(p.text).compound) },
    topicInference: { input: () => posts, run: eachPost((p) => model.assign(vocabulary.encode(extractTerms(p.text)), ASSIGN_OPTIONS)) },
    // preprocess normalises posts in place, so every repetition gets a fresh copy
    preprocess: { input: fresh, run: (input) => void (sink += preprocessPosts(input).clean.length) },
    // on the collected posts rather than preprocess's output, so it can run without preprocess having run
    features: { input: () => posts, run: (input) => void (sink += extractFeatures(input, featureModels).length) },
  };

  return {
    load(next) {
      records = next;
      const collected = collectPosts(records, opts.columns, opts.platform);
      posts = collected.posts;
      return { posts: posts.length, rejected: collected.rejected };
    },
    run(stage, reps = 1) {
      let ms = 0;
      let consumed = 0;
      for (let r = 0; r < reps; r++) {
        const input = stages[stage].input();
        const t0 = performance.now();
        stages[stage].run(input);
        ms += performance.now() - t0;
        consumed += input.length;
      }
      return { posts: consumed, ms };
    },
    get sink() {
      return sink;
    },
  };
}
