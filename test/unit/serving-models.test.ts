import { describe, expect, it } from 'vitest';
import { loadServingModel } from '../../activities/servingModels';
import type { ObjectStore } from '../../lib/objectStore';
import type { ModelVersion } from '../../lib/registry';

// The decoder never touches the store here: it returns what the version's URI names.
const store = {} as ObjectStore;

function version(name: string, version: number, artifactUri = `s3://models/${name}/v${version}.bin`): ModelVersion {
  return { name, version, status: 'serving', metrics: {}, baseline: null, params: {}, artifactUri } as ModelVersion;
}

/** A decoder that counts its calls and answers with the artifact URI it decoded. */
function countingDecoder() {
  const calls: string[] = [];
  return {
    calls,
    decode: (_s: ObjectStore, m: ModelVersion) => {
      calls.push(m.artifactUri);
      return Promise.resolve({ from: m.artifactUri });
    },
  };
}

describe('serving model cache', () => {
  it('decodes a version once while it serves', async () => {
    const d = countingDecoder();
    const m = version('cache-once', 3);
    const [a, b] = await Promise.all([loadServingModel(store, m, d.decode), loadServingModel(store, m, d.decode)]);
    expect(await loadServingModel(store, m, d.decode)).toBe(a);
    expect(b).toBe(a);
    expect(d.calls).toEqual([m.artifactUri]);
  });

  it('drops the version a promotion displaced: asking for it again decodes it again', async () => {
    const d = countingDecoder();
    const v1 = version('cache-promote', 1);
    const v2 = version('cache-promote', 2);
    const first = await loadServingModel(store, v1, d.decode);
    expect(await loadServingModel(store, v2, d.decode)).toEqual({ from: v2.artifactUri });
    // v1 was no longer kept (a worker keeps one model per name, not every version it served)
    const again = await loadServingModel(store, v1, d.decode);
    expect(again).toEqual({ from: v1.artifactUri });
    expect(again).not.toBe(first);
    expect(d.calls).toEqual([v1.artifactUri, v2.artifactUri, v1.artifactUri]);
  });

  it('keeps the models of different names side by side', async () => {
    const d = countingDecoder();
    const topics = version('cache-topics', 7);
    const sentiment = version('cache-sentiment', 7);
    await loadServingModel(store, topics, d.decode);
    await loadServingModel(store, sentiment, d.decode);
    await loadServingModel(store, topics, d.decode);
    await loadServingModel(store, sentiment, d.decode);
    expect(d.calls).toEqual([topics.artifactUri, sentiment.artifactUri]);
  });

  it('tells apart two registries whose versions share a number (two stacks in one process)', async () => {
    const d = countingDecoder();
    const teamV1 = version('cache-stacks', 1, 's3://team/models/sentiment/abc.bin');
    const demoV1 = version('cache-stacks', 1, 'file:///demo/models/sentiment/def.bin');
    expect(await loadServingModel(store, teamV1, d.decode)).toEqual({ from: teamV1.artifactUri });
    expect(await loadServingModel(store, demoV1, d.decode)).toEqual({ from: demoV1.artifactUri });
  });

  it('does not keep a failed decode: the next call tries again', async () => {
    let attempt = 0;
    const flaky = (_s: ObjectStore, m: ModelVersion) =>
      ++attempt === 1 ? Promise.reject(new Error('object store unreachable')) : Promise.resolve({ from: m.artifactUri });
    const m = version('cache-retry', 1);
    await expect(loadServingModel(store, m, flaky)).rejects.toThrow('object store unreachable');
    expect(await loadServingModel(store, m, flaky)).toEqual({ from: m.artifactUri });
    expect(attempt).toBe(2);
  });

  it('a failed decode of a new version does not evict the one that replaced it meanwhile', async () => {
    let fail!: (e: Error) => void;
    const slowFailing = () => new Promise<never>((_, reject) => (fail = reject));
    const d = countingDecoder();
    const v1 = version('cache-race', 1);
    const v2 = version('cache-race', 2);
    const pending = loadServingModel(store, v1, slowFailing);
    const loadedV2 = await loadServingModel(store, v2, d.decode);
    fail(new Error('decode failed'));
    await expect(pending).rejects.toThrow('decode failed');
    expect(await loadServingModel(store, v2, d.decode)).toBe(loadedV2);
    expect(d.calls).toEqual([v2.artifactUri]);
  });
});
