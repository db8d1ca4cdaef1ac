/**
 * Reading the user's domain lexicon (extra words with valences for the sentiment lexicon): from a
 * file given by option (`--lexicon FILE`) or by the SOCIALSENSE_LEXICON setting. The format and
 * its checks are models/sentiment/lexicon.ts parseDomainLexicon's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDomainLexicon, type DomainLexicon } from '../models/sentiment/lexicon';

/** Reads and parses a domain lexicon file; throws naming the file when it is missing or malformed. */
export function readDomainLexicon(file: string): DomainLexicon {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the domain lexicon ${file}: ${(err as Error).message}`);
  }
  return parseDomainLexicon(content, file);
}

const cache = new Map<string, { mtimeMs: number; size: number; lexicon: DomainLexicon }>();

/**
 * The domain lexicon the configuration names (SOCIALSENSE_LEXICON), or null when none is set.
 * Re-read when the file changes (a long-running worker picks up edits; the digest in the model name
 * changes with them, so cached features are recomputed).
 */
export function configuredDomainLexicon(env: NodeJS.ProcessEnv = process.env): DomainLexicon | null {
  const file = env.SOCIALSENSE_LEXICON?.trim();
  if (!file) return null;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new Error(`SOCIALSENSE_LEXICON=${file}: cannot read the domain lexicon: ${(err as Error).message}`);
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.lexicon;
  const lexicon = readDomainLexicon(file);
  cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, lexicon });
  return lexicon;
}

/**
 * `--lexicon FILE` of `run` and `retrain`: checks the file now (a bad line fails the command before
 * anything starts) and sets SOCIALSENSE_LEXICON for the worker in this process. A separate worker
 * fleet (`--no-worker`) must be given the same setting; the model names record the digest, so a
 * mismatch shows. Returns the lexicon.
 */
export function useLexiconOption(file: string, env: NodeJS.ProcessEnv = process.env): DomainLexicon {
  const lexicon = readDomainLexicon(file);
  env.SOCIALSENSE_LEXICON = path.resolve(file);
  return lexicon;
}
