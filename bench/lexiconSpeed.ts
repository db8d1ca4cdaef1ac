/**
 * Lexicon sentiment speed (issue 12: at least 50x the vader-sentiment npm port), measured in one process on the same
 * real tweets (sentiment-dev.tsv, the bench's real-tweet input):
 *   - `new`: scoreSentiment (models/sentiment/lexicon.ts, the fused scan);
 *   - `v1`: the frozen previous implementation (bench/baselines/lexiconV1.ts);
 *   - `vaderNpm`: the vader-sentiment npm port (models/sentiment/vaderBaseline.ts, the bench stage `vaderNpm`).
 * CPU time (user + system of this one-thread process), since on the shared machine wall time mostly measures waiting
 * for a core. Rounds interleave the three, so a change in load hits all alike; each round gives µs/post per scorer and
 * the ratios of the same round; the median round is reported. The lexicons make `--passes` passes over the tweets per
 * round (they are ~50x faster), the npm port one.
 *
 *   npx tsx bench/lexiconSpeed.ts [--posts 5000] [--rounds 7] [--passes 10] [--domain]
 *
 * `--domain`: score the lexicons with a small domain lexicon (the npm port has none).
 */
import { parseArgs } from 'node:util';
import { sharedDataDir } from '../lib/paths';
import { domainLexicon, scoreSentiment } from '../models/sentiment/lexicon';
import { vaderSentiment } from '../models/sentiment/vaderBaseline';
import { scoreSentiment as scoreV1 } from './baselines/lexiconV1';
import { loadRealTweets } from './corpus';

const { values: args } = parseArgs({
  options: {
    posts: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '7' },
    passes: { type: 'string', default: '10' },
    domain: { type: 'boolean', default: false },
  },
});

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const domain = args.domain ? domainLexicon({ sick: 3, happy: -2, so: 1.5, no: 0.5, wait: -1, lit: 2.5, '😂': -3 }) : null;
const SCORERS: Record<string, { passes: number; score: (text: string) => number }> = {
  new: { passes: Number(args.passes), score: (t) => scoreSentiment(t, domain).compound },
  v1: { passes: Number(args.passes), score: (t) => scoreV1(t, domain).compound },
  vaderNpm: { passes: 1, score: (t) => vaderSentiment(t).compound },
};

/** CPU µs per post of `passes` passes of `score` over `texts`. */
function usPerPost(score: (text: string) => number, texts: string[], passes: number): number {
  let sink = 0;
  const t0 = cpuUs();
  for (let p = 0; p < passes; p++) for (const t of texts) sink += score(t);
  const us = cpuUs() - t0;
  if (Number.isNaN(sink)) console.log(sink);
  return us / (passes * texts.length);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const real = await loadRealTweets(sharedDataDir());
  if ('skipped' in real) throw new Error(`real tweets: ${real.skipped}`);
  const texts = real.records.slice(0, Number(args.posts)).map((r) => r.text ?? '');
  for (const { score } of Object.values(SCORERS)) usPerPost(score, texts.slice(0, 2000), 1); // JIT warm-up
  const perRound: Array<Record<string, number>> = [];
  for (let r = 0; r < Number(args.rounds); r++) {
    const names = Object.keys(SCORERS);
    // rotate the order each round
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const us: Record<string, number> = {};
    for (const name of order) us[name] = usPerPost(SCORERS[name].score, texts, SCORERS[name].passes);
    perRound.push(us);
    console.log(
      `round ${r + 1}: new ${us.new.toFixed(2)} µs, v1 ${us.v1.toFixed(2)} µs, vaderNpm ${us.vaderNpm.toFixed(1)} µs;` +
        ` vaderNpm/new ${(us.vaderNpm / us.new).toFixed(1)}x, v1/new ${(us.v1 / us.new).toFixed(2)}x`,
    );
  }
  const col = (f: (u: Record<string, number>) => number) => median(perRound.map(f));
  console.log(
    `\n${texts.length} real tweets${domain ? ', with a domain lexicon' : ''}, median of ${perRound.length} rounds (CPU time):` +
      `\n  new ${col((u) => u.new).toFixed(2)} µs/post, v1 ${col((u) => u.v1).toFixed(2)} µs/post, vaderNpm ${col((u) => u.vaderNpm).toFixed(1)} µs/post` +
      `\n  new vs vaderNpm: ${col((u) => u.vaderNpm / u.new).toFixed(1)}x (range ${Math.min(...perRound.map((u) => u.vaderNpm / u.new)).toFixed(1)}–${Math.max(...perRound.map((u) => u.vaderNpm / u.new)).toFixed(1)})` +
      `\n  new vs v1: ${col((u) => u.v1 / u.new).toFixed(2)}x` +
      `\n  load average: ${(await import('node:os'))
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
  );
}

await main();
