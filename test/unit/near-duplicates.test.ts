import { foldStyledLetters } from '../../models/text/normalize';
import { describe, expect, it } from 'vitest';
import {
  chooseBands,
  createMinHasher,
  createNearDuplicateIndex,
  estimateJaccard,
  exactJaccard,
  findNearDuplicates,
  minAgreements,
  normalizeForShingles,
  shingleContent,
} from '../../models/text/nearDuplicates';
import { simulateNetwork } from '../../activities/collect/simulated/generator';
import { murmur32 } from '../../models/text/hash';
import { normalizeText } from '../../models/text/normalize';
import { classifyRemoved, longestCommonRun } from '../../bench/spamFalsePositives';
import { createRng } from '../../models/random';
import { precisionRecall } from '../../models/users/bots';
import * as v1 from '../../bench/baselines/nearDuplicatesV1';

const base = [
  'Huge discount on running shoes today only, grab yours before they sell out https://t.co/aaa111 #sale',
  'The city council voted to expand the bike lanes along the river next spring',
  'Just finished reading a wonderful novel about a lighthouse keeper and his daughter',
  'Our new podcast episode is out now: we talk about sleep, coffee and productivity',
  'Traffic on the northern highway is backed up for miles after an early morning accident',
];

/** Synthetic families: each base text plus edited copies (the kind of edits spam and copy-paste accounts make). */
function syntheticSet(seed: number, families: number) {
  const rng = createRng(seed);
  const vocab = Array.from({ length: 1500 }, (_, i) => {
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    let w = '';
    const len = 3 + ((i * 7) % 6);
    for (let c = 0; c < len; c++) w += letters[rng.int(26)];
    return w;
  });
  const edit = (words: string[]): string[] => {
    const out = words.slice();
    const kind = rng.int(5);
    if (kind === 0)
      out[rng.int(out.length)] = rng.pick(vocab); // one word replaced
    else if (kind === 1)
      out.splice(rng.int(out.length), 1); // one word dropped
    else if (kind === 2)
      out.push('#' + rng.pick(vocab)); // hashtag appended
    else if (kind === 3) {
      const i = rng.int(out.length); // typo
      const w = out[i];
      const p = rng.int(w.length);
      out[i] = w.slice(0, p) + w.slice(p + 1);
    } else out.push('https://t.co/' + rng.int(1e6).toString(36)); // different short link
    return out;
  };
  const items: { id: string; text: string; family: number }[] = [];
  for (let f = 0; f < families; f++) {
    const words = Array.from({ length: 14 + rng.int(12) }, () => rng.pick(vocab));
    items.push({ id: `f${f}-0`, text: words.join(' '), family: f });
    const copies = f % 3 === 0 ? 0 : 1 + rng.int(4); // a third of the texts are unique
    for (let c = 1; c <= copies; c++) {
      let w = edit(words);
      if (rng.next() < 0.5) w = edit(w); // some copies carry two edits
      items.push({ id: `f${f}-${c}`, text: w.join(' '), family: f });
    }
  }
  return rng.shuffle(items);
}

function pairEvaluation(items: { family: number }[], clusterOf: string[]) {
  const predicted: boolean[] = [];
  const truth: boolean[] = [];
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++) {
      predicted.push(clusterOf[i] === clusterOf[j]);
      truth.push(items[i].family === items[j].family);
    }
  return precisionRecall(predicted, truth);
}

describe('near-duplicate detection', () => {
  it('hashes deterministically', () => {
    expect(murmur32('hello', 1)).toBe(murmur32('hello', 1));
    expect(murmur32('hello', 1)).not.toBe(murmur32('hello', 2));
    // links (with or without a scheme), mentions and RT/via markers go; tags stay as words
    expect(normalizeForShingles('RT @news: Check THIS!! https://t.co/x1 now #Breaking via @bob bit.ly/3xYz')).toBe('check this now breaking');
    // "check" is phatic, "this" and "now" function words, "breaking" a tag: nothing distinctive
    expect(shingleContent('RT @news: Check THIS!! https://t.co/x1 now #Breaking via @bob')).toEqual({ text: 'check this now breaking', distinctiveWords: 0 });
    expect(shingleContent('Mayor opens the new riverside library #local').distinctiveWords).toBe(4); // mayor opens riverside library
    // words of every script stay whole (combining marks are letters' parts, not separators)
    expect(normalizeForShingles('मतदान केंद्र पर लंबी कतार')).toBe('मतदान केंद्र पर लंबी कतार');
    // a script written without spaces counts one distinctive word per two characters
    expect(shingleContent('新しいカフェでランチ').distinctiveWords).toBe(5);
  });

  it('estimates Jaccard similarity from signatures', () => {
    const hasher = createMinHasher(256, { kind: 'char', size: 5 }, 7);
    const a = base[1];
    const b = base[1].replace('expand', 'widen').replace('next spring', 'this summer');
    const exact = exactJaccard(a, b);
    expect(exact).toBeGreaterThan(0.4);
    expect(exact).toBeLessThan(0.8);
    // std of the estimate is sqrt(J(1-J)/256) ≈ 0.03
    expect(Math.abs(estimateJaccard(hasher.signature(a), hasher.signature(b)) - exact)).toBeLessThan(0.1);
  });

  it('finds copies with small edits and leaves unrelated texts alone', () => {
    const items = [
      ...base.map((text, i) => ({ id: `b${i}`, text })),
      { id: 'c0', text: 'HUGE discount on running shoes today only!! grab yours before they sell out https://t.co/zzz999 #sale' },
      { id: 'c1', text: 'The city council voted to expand the bike lanes along the river next spring.' },
      { id: 'c2', text: 'Just finished reading a wonderful novel about a lighthouse keeper and his daughters' },
    ];
    const { assignments, clusters } = findNearDuplicates(items);
    const byId = new Map(assignments.map((a) => [a.id, a]));
    expect(byId.get('c0')!.clusterId).toBe('b0');
    expect(byId.get('c1')!.clusterId).toBe('b1');
    expect(byId.get('c2')!.clusterId).toBe('b2');
    expect(byId.get('b0')!.duplicates).toEqual(['c0']);
    expect(byId.get('b3')!.nearDuplicate).toBe(false);
    expect(byId.get('b4')!.clusterSize).toBe(1);
    expect(clusters).toEqual([
      ['b0', 'c0'],
      ['b1', 'c1'],
      ['b2', 'c2'],
    ]);
  });

  it('reports matches while streaming and answers queries', () => {
    const index = createNearDuplicateIndex({ numHashes: 64, threshold: 0.6, seed: 3 });
    expect(index.add('a', base[3]).duplicateOf).toBeNull();
    expect(index.add('b', base[4]).duplicateOf).toBeNull();
    expect(index.add('c', base[3] + ' #podcast').duplicateOf).toBe('a');
    expect(index.add('empty', '  !!! ').duplicateOf).toBeNull();
    expect(index.add('empty2', '').duplicateOf).toBeNull();
    expect(index.query(base[4].toUpperCase())).toEqual(['b']);
    expect(index.query('something else entirely, nothing like the others')).toEqual([]);
    expect(index.clusters()).toEqual([['a', 'c']]);
    expect(index.bands * index.rows).toBeLessThanOrEqual(64);
  });

  it('computes the same MinHash signatures in WebAssembly as in JavaScript', () => {
    for (const [numHashes, shingle] of [
      [128, { kind: 'char', size: 5 }],
      [64, { kind: 'word', size: 2 }],
      [8, { kind: 'char', size: 3 }],
    ] as const) {
      const wasm = createMinHasher(numHashes, shingle, 3);
      const js = createMinHasher(numHashes, shingle, 3, false);
      const long = base.join(' ').repeat(40); // ~16k characters: more shingles than the kernel's first memory page holds
      for (const text of [...base, 'ab', '', long, 'मतदान केंद्र पर लंबी कतार', base[0]]) expect(wasm.signature(text)).toEqual(js.signature(text));
    }
  });

  it('with the previous banding, clusters exactly as the previous implementation', () => {
    // bench/baselines/nearDuplicatesV1.ts is the implementation before the speed-up (32 bands of 4
    // rows): the WebAssembly signatures, the candidate scan, the paired comparison and the
    // shingleContent fast paths must not change a single decision
    const { bands, rows } = chooseBands(128, 0.7, 0.99);
    expect({ bands, rows }).toEqual({ bands: 32, rows: 4 });
    const day = simulateNetwork({ days: 1, postsPerDay: 1500, seed: 9 }).days[0];
    const posts = day.posts.flatMap((p, i) => (day.truth[i].malformed ? [] : [{ id: `${p.id}#${i}`, text: normalizeText(String(p.text)) }]));
    const previous = v1.findNearDuplicates(posts);
    expect(previous.clusters.length).toBeGreaterThan(10);
    expect(findNearDuplicates(posts, { bands })).toEqual(previous);
    const synthetic = syntheticSet(17, 300);
    expect(findNearDuplicates(synthetic, { bands, seed: 4 })).toEqual(v1.findNearDuplicates(synthetic, { seed: 4 }));
  });

  it('skips the link, mention and hashtag patterns only when they cannot match, and splits words as the Unicode pattern did', () => {
    const texts = [
      'RT @news: Check THIS!! https://t.co/x1 now #Breaking via @bob bit.ly/3xYz',
      'h/t @ann great read www.example.com/a?b=c#frag and more',
      'no link here but a slash: either/or, 50/50 odds h/t',
      "‘Quoted’ words and 'apostrophes' ''double'' it's #tag's end'",
      'fullwidth ＃タグ and #tag_1 and # alone and a#b and &#39;',
      '新しいカフェでランチ #東京 @user_1',
      'मतदान केंद्र पर लंबी कतार #चुनाव',
      'email me at someone@example.com or @handle.with.dots',
      'plain text with numbers 123 456 and letters',
      'emoji 😍🎉 between words👍and 𝐛𝐨𝐥𝐝 𝐦𝐚𝐭𝐡 letters, a lone \ud83d surrogate and \udc4d another',
      'café naïve e\u0301 combining, ½ ² ٣ numbers, Ⅻ roman, under_score and dash-ed',
      '',
    ];
    // what v1 gave for the text with styled letters plain, with each number one word ('0'): the two changes made since
    const asNow = (c: { text: string; distinctiveWords: number }) => ({ ...c, text: c.text.replace(/(?<=^| )[0-9]+(?= |$)/g, '0') });
    for (const t of texts) expect(shingleContent(t)).toEqual(asNow(v1.shingleContent(foldStyledLetters(t))));
  });

  it('reads styled letters (mathematical, fullwidth, circled) as plain ones, and every number as one word', () => {
    const plain = shingleContent('Buy 1000 real Instagram followers for only $5! Fast delivery, 100% safe');
    expect(plain.text).toBe('buy 0 real instagram followers for only 0 fast delivery 0 safe');
    for (const dodge of [
      'Buy 2500 real 𝗜𝗻𝘀𝘁𝗮𝗴𝗿𝗮𝗺 followers for only $9! Fast delivery, 100% safe', // mathematical sans-serif bold
      'Buy 5000 real Ｉｎｓｔａｇｒａｍ followers for only $15! Fast delivery, 100% safe', // fullwidth
      'Buy 1000 real ⓘⓝⓢⓣⓐⓖⓡⓐⓜ followers for only $5! Fast delivery, 100% safe', // circled
      'Buy 1000 real 𝐼𝑛𝑠𝑡𝑎𝑔𝑟𝑎𝑚 followers for only $５! Fast delivery, 100% safe', // mathematical italic, a fullwidth digit
    ])
      expect(shingleContent(dodge)).toEqual(plain);
    // numbers inside words stay as written: a model name, a handle-like word, a unit
    expect(shingleContent('the 12c gt3 in 4k at 60fps').text).toBe('the 12c gt3 in 4k at 60fps');
    // a number never counts as distinctive content, so numbers alone cannot make posts a campaign
    expect(shingleContent('call 555 0100 or 555 0199').distinctiveWords).toBe(1);
  });

  it('has high pairwise precision and recall on a synthetic set', () => {
    const items = syntheticSet(11, 400);
    const { assignments } = findNearDuplicates(items, { seed: 5 });
    const pr = pairEvaluation(
      items,
      assignments.map((a) => a.clusterId),
    );
    expect(pr.precision).toBeGreaterThan(0.97);
    expect(pr.recall).toBeGreaterThan(0.9);
  });

  it('decides exactly as the full count when it stops comparing early', () => {
    // 0.65·(1 − 2⁻¹⁶) + 2⁻¹⁶ of 128 positions = 83.2 → 84 agreements needed
    expect(minAgreements(128, 0.65)).toBe(84);
    expect(minAgreements(128, 1)).toBe(128);
    const items = syntheticSet(13, 300);
    expect(findNearDuplicates(items, { earlyExit: true })).toEqual(findNearDuplicates(items, { earlyExit: false }));
    const day = simulateNetwork({ days: 1, postsPerDay: 2000, seed: 4 }).days[0];
    const posts = day.posts.flatMap((p, i) => (day.truth[i].malformed ? [] : [{ id: `${p.id}#${i}`, text: normalizeText(String(p.text)) }]));
    const fast = findNearDuplicates(posts);
    expect(fast.clusters.length).toBeGreaterThan(10);
    expect(fast).toEqual(findNearDuplicates(posts, { earlyExit: false }));
  });

  it('clusters the same whatever room it is given up front, and refuses a capacity that is not a positive integer', () => {
    const day = simulateNetwork({ days: 1, postsPerDay: 3000, seed: 9 }).days[0];
    const posts = day.posts.flatMap((p, i) => (day.truth[i].malformed ? [] : [{ id: `${p.id}#${i}`, text: normalizeText(String(p.text)) }]));
    const grown = findNearDuplicates(posts); // from 1024, doubled twice on the way
    expect(grown.clusters.length).toBeGreaterThan(10);
    // exactly the texts, too few (grows from 1 and from 1000), and more than needed
    for (const initialCapacity of [posts.length, 1, 1000, 10 * posts.length]) expect(findNearDuplicates(posts, { initialCapacity })).toEqual(grown);
    for (const initialCapacity of [0, -5, 2.5, Number.NaN])
      expect(() => createNearDuplicateIndex({ initialCapacity })).toThrow(`initialCapacity must be a positive integer (got ${initialCapacity})`);
  });
});

/** n posts from a template; clusters of 3+ are what the spam filter removes (SPAM_CLUSTER_SIZE). */
const spamClusters = (texts: string[]) => findNearDuplicates(texts.map((text, i) => ({ id: `p${i}`, text }))).clusters.filter((c) => c.length >= 3);

describe('posts that share only boilerplate are not a campaign', () => {
  it('a shared phrase with a link, each with its own content', () => {
    expect(
      spamClusters([
        'Check this out https://t.co/a1B2c3 my sister finally opened her bakery downtown',
        'Check this out https://t.co/Zz9Yy8 the council approved funding for the new skate park',
        'Check this out https://t.co/Qq1Ww2 grandpa restored a vintage motorcycle over the winter',
        'Check this out https://t.co/Mm5Nn6 our choir recorded an album in the cathedral',
        'Check this out https://t.co/Kk7Ll8 researchers mapped coral reefs using autonomous drones',
      ]),
    ).toEqual([]);
  });

  it('the same phrase and nothing else but a link, a mention or a shortener', () => {
    expect(spamClusters(['a1', 'b2', 'c3', 'd4', 'e5'].map((s) => `Check this out https://t.co/${s}`))).toEqual([]);
    expect(spamClusters(['a1', 'b2', 'c3', 'd4', 'e5'].map((s) => `check this out!! bit.ly/${s}`))).toEqual([]);
    expect(spamClusters(['ann', 'bo', 'cy', 'di', 'ed'].map((h) => `@${h} thanks!`))).toEqual([]);
  });

  it('replies to the same brand that say different things', () => {
    expect(
      spamClusters([
        '@brand thanks! the replacement charger arrived this morning and works perfectly',
        '@brand thanks! refund finally showed up on my card after three weeks',
        '@brand thanks! support chat fixed my router settings within minutes',
        '@brand thanks! store staff helped my dad pick a laptop for college',
        '@brand thanks! loyalty points transferred over from the old account',
      ]),
    ).toEqual([]);
  });

  it('the same hashtag set with otherwise different text', () => {
    const tags = '#WorldCup #USMNT #soccer';
    expect(
      spamClusters([
        `Pulisic scored early and the whole bar went wild ${tags}`,
        `Rain delay here, umbrellas everywhere in the stadium ${tags}`,
        `Defense looked shaky, midfield could not hold possession ${tags}`,
        `Drove four hours with my cousins just to watch this ${tags}`,
        `Referee missed an obvious handball right before halftime ${tags}`,
      ]),
    ).toEqual([]);
    // a tag set with a word or two around it has too little content to judge
    expect(spamClusters(['wow', 'yes!!', 'lets go', 'so proud', 'omg'].map((t) => `${t} ${tags}`))).toEqual([]);
  });

  it('people naming the same things in their own words', () => {
    expect(
      spamClusters([
        "I just can't wait for Taylor Swift on Friday",
        'I really wish I was going to Taylor Swift this Friday :(((',
        'So my brother and I are going to Taylor Swift on Friday...',
        'Who else is seeing Taylor Swift on Friday night?',
      ]),
    ).toEqual([]);
  });

  it('retweet markers, "via @user" and common greetings', () => {
    expect(spamClusters(['ann', 'bo', 'cy', 'di', 'ed'].map((h) => `RT @${h}: Good morning everyone, have a great day!`))).toEqual([]);
    expect(spamClusters(['Good morning ☀️', 'good morning!!', 'Good morning everyone', 'GOOD MORNING', 'good morning :)'])).toEqual([]);
    expect(spamClusters(['ann', 'bo', 'cy', 'di', 'ed'].map((h) => `Happy birthday @${h}! Have a wonderful day`))).toEqual([]);
  });
});

describe('campaigns are still caught', () => {
  const promo = 'Exclusive offer on premium noise cancelling headphones, free shipping worldwide, order before midnight';

  it('copies that differ only in the link are one campaign when the content is long and identical', () => {
    const texts = ['aa1', 'bb2', 'cc3', 'dd4', 'ee5'].map((s) => `${promo} https://t.co/${s}`);
    expect(spamClusters(texts)).toEqual([['p0', 'p1', 'p2', 'p3', 'p4']]);
  });

  it('a campaign with small edits, different links, mentions and tags', () => {
    expect(
      spamClusters([
        `${promo} https://t.co/aa1`,
        `@deals4u ${promo}!! https://bit.ly/x9`,
        `${promo.replace('worldwide', 'everywhere')} https://t.co/cc3 #sale`,
        `RT @shop: ${promo.toUpperCase()}`,
        `${promo.replace('premium ', '')} via @gadgetnews`,
        'The city council voted to expand the bike lanes along the river next spring',
      ]),
    ).toEqual([['p0', 'p1', 'p2', 'p3', 'p4']]);
  });

  it('a follower-selling campaign whose copies change the amounts and dress a word in other letters', () => {
    expect(
      spamClusters([
        'Buy 1000 real Instagram followers for only $5! Fast delivery, 100% safe https://bit.ly/3abcd1',
        'Buy 2500 real Instagram followers for only $9! Fast delivery, 100% safe https://bit.ly/3abcd2',
        '@bob Buy 5,000 real 𝗜𝗻𝘀𝘁𝗮𝗴𝗿𝗮𝗺 followers for only $14.99! Fast delivery, 100% safe https://tinyurl.com/yk2',
        'BUY 10000 REAL ＩＮＳＴＡＧＲＡＭ FOLLOWERS FOR ONLY $25! FAST DELIVERY, 100% SAFE',
        'Bought 1000 Instagram followers once, the account got banned within a week, never again',
      ]),
    ).toEqual([['p0', 'p1', 'p2', 'p3']]);
  });

  it('in scripts with combining marks', () => {
    const hindi = 'मुफ्त मोबाइल फोन जीतने का मौका आज ही रजिस्टर करें सीमित समय का ऑफर';
    expect(spamClusters([`${hindi} https://t.co/a`, `${hindi}!! https://t.co/b`, `@x ${hindi}`])).toEqual([['p0', 'p1', 'p2']]);
  });
});

describe('spam false-positive benchmark: sorting what was removed', () => {
  it('measures the longest shared run of words', () => {
    expect(longestCommonRun(['a', 'b', 'c', 'd'], ['x', 'b', 'c', 'd', 'y'])).toBe(3);
    expect(longestCommonRun(['a'], ['b'])).toBe(0);
    expect(longestCommonRun([], ['b'])).toBe(0);
  });

  it('tells retweets and copies from posts that only look alike', () => {
    const headline = 'Apple software and retail chiefs out in overhaul as Tim Cook replaces the heads of two divisions';
    expect(classifyRemoved(`RT @reuters: ${headline}`, [headline])).toBe('retweet');
    expect(classifyRemoved(`"@reuters: ${headline}"`, [headline])).toBe('retweet');
    expect(classifyRemoved(`${headline} via @techcrunch`, [headline])).toBe('retweet');
    expect(classifyRemoved(`#tech ${headline} https://t.co/x`, [`${headline}...`])).toBe('copy');
    // six content words in a row in common is copied wording; the same names in other words is not
    expect(classifyRemoved("I just can't wait for Taylor Swift on Friday", ['I really wish I was going to Taylor Swift this Friday'])).toBe('lookAlike');
    // a short post copied whole is a copy even under six words
    expect(classifyRemoved('Klub Ace this Saturday college night', ['@bob Klub Ace this Saturday college night!!'])).toBe('copy');
  });
});
