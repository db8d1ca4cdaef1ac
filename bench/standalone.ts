import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sharedDataDir } from '../lib/paths';

/** True when the module at `moduleUrl` is the script node was started with (`npx tsx bench/x.ts`). */
export const isMain = (moduleUrl: string): boolean => Boolean(process.argv[1]) && moduleUrl === pathToFileURL(path.resolve(process.argv[1])).href;

/**
 * What every quality benchmark does when run on its own: measure on the data folder (argv[2] or the
 * shared data), print the markdown table and the JSON, and keep the JSON in bench/results/<name>.json.
 */
export async function runStandalone<T extends object>(
  name: string,
  bench: (dataDir: string) => Promise<T | { skipped: string }>,
  markdown: (result: T) => string,
): Promise<void> {
  const result = await bench(process.argv[2] ?? sharedDataDir());
  if ('skipped' in result) {
    console.log(`skipped: ${result.skipped}`);
    return;
  }
  console.log(markdown(result));
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', `${name}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log('\n' + JSON.stringify(result));
}
