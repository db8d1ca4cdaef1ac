/**
 * Near-duplicate detection speed, new implementation (models/text/nearDuplicates.ts) against the
 * previous one (bench/baselines/nearDuplicatesV1.ts) in the same process, on the same posts:
 *   - simulated posts: the bench corpus's generator settings (seed 7, 5,000 users), mapped by the
 *     file importer as collect(file) hands them to preprocess, one index per shard of `--shard` posts
 *     (the bench's `nearDuplicates` stage: `createNearDuplicateIndex().add(id, text)` per post);
 *   - real tweets: sentiment-dev.tsv, the bench's real-tweet input (skipped when the shared data is absent).
 * Rounds alternate old/new so a change in the machine's load hits both alike; the median round counts.
 * It also scores both on the generator's planted campaigns (clusters of >= SPAM_CLUSTER_SIZE removed,
 * as preprocess does) and checks that they remove the same real tweets.
 *
 *   npx tsx bench/nearDuplicatesSpeed.ts [--posts 50000] [--shard 25000] [--rounds 5] [--only new|old]
 */
import { parseArgs } from 'node:util';
import { simulateNetwork } from '../activities/collect/simulated/generator';
import { sharedDataDir } from '../lib/paths';
import { preprocessPosts, SPAM_CLUSTER_SIZE } from '../models/pipeline/preprocess';
import * as current from '../models/text/nearDuplicates';
import { precisionRecall } from '../models/users/bots';
import * as v1 from './baselines/nearDuplicatesV1';
import { collectPosts, flatRecord, loadRealTweets, SIMULATED_COLUMNS } from './corpus';

type Impl = Pick<typeof current, 'createNearDuplicateIndex' | 'findNearDuplicates' | 'shingleContent'>;
const IMPLS: Record<'old' | 'new', Impl> = { old: v1, new: current };

const { values: args } = parseArgs({
  options: {
    posts: { type: 'string', default: '50000' },
    shard: { type: 'string', default: '25000' },
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
  },
});
const nPosts = Number(args.posts);
const shard = Number(args.shard);
const rounds = Number(args.rounds);
const names = (args.only ? [args.only] : ['old', 'new']) as Array<'old' | 'new'>;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Item {
  id: string;
  text: string;
}

/** The simulated posts as the bench's corpus holds them (33,334 posts a day, seed 7, 5,000 users). */
function simulatedPosts(n: number): Item[] {
  const days = Math.ceil(n / 33_334);
  const sim = simulateNetwork({ seed: 7, users: 5000, days, postsPerDay: 33_334 });
  const records = sim.days.flatMap((d) => d.posts.map((p) => flatRecord(p)));
  return collectPosts(records, SIMULATED_COLUMNS, 'bench')
    .posts.slice(0, n)
    .map((p) => ({ id: p.id, text: p.text }));
}

/**
 * CPU ms (user + system of this process, which runs one thread here) to index `items` in shards of
 * `shard`, one index per shard (the bench stage). CPU time rather than wall time: on the shared
 * machine the process waits for a core for much of the wall time, and unevenly between rounds.
 */
function timeIndex(impl: Impl, items: Item[]): { cpu: number; wall: number } {
  let sink = 0;
  const w0 = performance.now();
  const t0 = cpuMs();
  for (let s = 0; s < items.length; s += shard) {
    const index = impl.createNearDuplicateIndex();
    const end = Math.min(items.length, s + shard);
    for (let i = s; i < end; i++) if (index.add(items[i].id, items[i].text).duplicateOf) sink++;
  }
  const ms = { cpu: cpuMs() - t0, wall: performance.now() - w0 };
  if (sink < 0) console.log(sink);
  return ms;
}

function speed(label: string, items: Item[]) {
  for (const name of names) timeIndex(IMPLS[name], items.slice(0, 2000)); // JIT warm-up
  const ms: Record<string, { cpu: number[]; wall: number[] }> = { old: { cpu: [], wall: [] }, new: { cpu: [], wall: [] } };
  for (let r = 0; r < rounds; r++)
    for (const name of names) {
      const t = timeIndex(IMPLS[name], items);
      ms[name].cpu.push(t.cpu);
      ms[name].wall.push(t.wall);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perSecond: Record<string, number> = {};
  const perWallSecond: Record<string, number> = {};
  for (const name of names) {
    perSecond[name] = Math.round(items.length / (median(ms[name].cpu) / 1000));
    perWallSecond[name] = Math.round(items.length / (median(ms[name].wall) / 1000));
  }
  const ratio = perSecond.old && perSecond.new ? ` ratio ${(perSecond.new / perSecond.old).toFixed(2)}x` : '';
  console.log(
    `${label} (${items.length} posts, shards of ${shard}): ${names.map((n) => `${n} ${perSecond[n].toLocaleString('en-US')} posts/CPU-s (${perWallSecond[n].toLocaleString('en-US')} posts/s wall)`).join(', ')}${ratio}`,
  );
  return perSecond;
}

/** Planted campaigns: preprocess's clean + spam posts, in input order, re-filtered by each implementation. */
function plantedCampaigns(postsPerDay: number, seeds: number[]) {
  const out: Record<string, { precision: number; recall: number; removed: number }> = {};
  const perSeed = seeds.map((seed) => {
    const day = simulateNetwork({ days: 1, postsPerDay, seed }).days[0];
    const bot = new Map(day.truth.map((t) => [t.id, t.bot]));
    const order = new Map(day.posts.map((p, i) => [String(p.id), i]));
    const { clean, spam } = preprocessPosts(day.posts);
    const posts = [...clean, ...spam.map((s) => s.post)].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return { posts, bot, spamIds: new Set(spam.map((s) => s.post.id)) };
  });
  for (const name of names) {
    const predicted: boolean[] = [];
    const truth: boolean[] = [];
    for (const { posts, bot, spamIds } of perSeed) {
      const { assignments } = IMPLS[name].findNearDuplicates(posts.map((p) => ({ id: p.id, text: p.text })));
      assignments.forEach((a, i) => {
        predicted.push(a.clusterSize >= SPAM_CLUSTER_SIZE);
        truth.push(bot.get(a.id)!);
        // the current implementation is what preprocess uses: its decisions must be preprocess's
        if (name === 'new' && a.clusterSize >= SPAM_CLUSTER_SIZE !== spamIds.has(posts[i].id))
          throw new Error(`preprocess and findNearDuplicates disagree on ${a.id}`);
      });
    }
    const pr = precisionRecall(predicted, truth);
    out[name] = { precision: Number(pr.precision.toFixed(4)), recall: Number(pr.recall.toFixed(4)), removed: predicted.filter(Boolean).length };
    console.log(
      `planted campaigns (${postsPerDay}/day, seeds ${seeds.join(',')}) ${name}: precision ${out[name].precision} recall ${out[name].recall} removed ${out[name].removed}/${predicted.length}`,
    );
  }
  return out;
}

/** Ids removed as spam (cluster of >= SPAM_CLUSTER_SIZE) from one partition, per implementation. */
function removedIds(items: Item[]) {
  const out: Record<string, Set<string>> = {};
  for (const name of names) {
    const { assignments } = IMPLS[name].findNearDuplicates(items);
    out[name] = new Set(assignments.filter((a) => a.clusterSize >= SPAM_CLUSTER_SIZE).map((a) => a.id));
  }
  return out;
}

/** The new shingleContent skips patterns that cannot match: it must give exactly the old result. */
function sameShingleContent(label: string, items: Item[]) {
  let differ = 0;
  for (const { text } of items) if (JSON.stringify(v1.shingleContent(text)) !== JSON.stringify(current.shingleContent(text))) differ++;
  console.log(`${label}: shingleContent differs from the old one on ${differ} of ${items.length} texts`);
}

const os = await import('node:os');
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, node ${process.version}`,
);
const sim = simulatedPosts(nPosts);
sameShingleContent('simulated', sim);
speed('simulated', sim);
const real = await loadRealTweets(sharedDataDir());
if ('skipped' in real) console.log(`real tweets skipped: ${real.skipped}`);
else {
  const tweets = collectPosts(real.records, real.columns, 'x').posts.map((p) => ({ id: p.id, text: p.text }));
  sameShingleContent('real tweets', tweets);
  speed('real tweets', tweets);
  if (names.length === 2) {
    const removed = removedIds(tweets);
    const onlyOld = [...removed.old].filter((id) => !removed.new.has(id)).length;
    const onlyNew = [...removed.new].filter((id) => !removed.old.has(id)).length;
    console.log(`real tweets as one partition: removed old ${removed.old.size}, new ${removed.new.size}; only old ${onlyOld}, only new ${onlyNew}`);
  }
}
plantedCampaigns(5000, [21, 3]);
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
