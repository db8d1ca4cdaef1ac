import { condition } from '@temporalio/workflow';

/** Like Promise.all over `items`, with at most `limit` of them in flight (deterministic: start order is item order). */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let running = 0;
  const all: Promise<void>[] = [];
  for (let i = 0; i < items.length; i++) {
    await condition(() => running < limit);
    running++;
    all.push(
      fn(items[i], i).then(
        (r) => {
          results[i] = r;
          running--;
        },
        (err) => {
          running--;
          throw err;
        },
      ),
    );
  }
  await Promise.all(all);
  return results;
}
