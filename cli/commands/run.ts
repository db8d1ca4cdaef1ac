import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { normalizePlatformName } from '../../lib/platformName';
import { installRuntime } from '../../lib/runtime';
import { connectStack } from '../../lib/stack';
import { normalizeLanguages } from '../../workflows/runIdentity';
import { DEFAULT_MAX_QUARANTINED_SHARE } from '../../workflows/pipeline';
import { enforceQuarantineShare, followRun, formatSummary, pipelineWorkflowId, readWarnings, runPipeline } from '../pipelineRun';
import { useLexiconOption } from '../../lib/domainLexicon';
import { yesterday } from '../../lib/dates';
import { instanceInput } from '../../activities/collect/platformActivities';
import { dataDayOption, daysOption, fileFormatOption, mappingOption, postsOption, sourceOption } from '../options';
import { printLine } from '../terminalText';
import type { PipelineInput } from '../../workflows/pipeline';

/** `--platform`: upper case lowered (`X` can only mean `x`), anything else outside the post-id pattern refused. */
export function platformOption(value: string): string {
  try {
    return normalizePlatformName(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** `--languages en,ES, fr` → ['en', 'es', 'fr']: ISO 639-1/639-3 codes, as a set. */
export function languagesOption(value: string): string[] {
  const codes = normalizeLanguages(value.split(','));
  if (!codes) throw new InvalidArgumentError(`expected language codes separated by commas, e.g. en,es; got "${value}"`);
  const bad = codes.filter((c) => !/^[a-z]{2,3}$/.test(c));
  if (bad.length > 0) throw new InvalidArgumentError(`not a language code: ${bad.map((b) => `"${b}"`).join(', ')}; use ISO 639-1 codes such as en, es, de`);
  return codes;
}

/** `--max-quarantined 0.2` or `20%`: a share between 0 and 1. */
export function shareOption(value: string): number {
  const v = value.trim();
  const n = v.endsWith('%') ? Number(v.slice(0, -1)) / 100 : Number(v);
  if (v === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`expected a share between 0 and 1 (or a percentage such as 20%), got "${value}"`);
  return n;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the pipeline on the configured stack (TEMPORAL_ADDRESS, DATABASE_URL, S3_*) and follow it to the end')
    .option('--source <name>', 'simulated | file | a platform (see `socialsense sources`)', sourceOption, 'simulated')
    .option('--posts <n>', 'simulated posts per day', postsOption)
    .option('--days <n>', 'days in the window ending at --date', daysOption, 1)
    .option('--date <YYYY-MM-DD>', 'last day of the window (default: yesterday, UTC)', dataDayOption)
    .option('--query <q>', 'platform query / hashtag / page / subreddit')
    .option('--file <path>', 'for --source file: a CSV, TSV, JSONL/NDJSON or JSON file (optionally .gz)')
    .option('--map <field=column>', 'for --source file: map a post field to a column (repeatable)', mappingOption)
    .option('--format <name>', 'for --source file: read the file as csv, tsv, jsonl or json whatever its name (default: from its extension)', fileFormatOption)
    .option(
      '--platform <name>',
      'for --source file: platform prefix of the post ids: a lower-case letter, then up to 31 of a-z 0-9 _ - (upper case is lowered)',
      platformOption,
      'file',
    )
    .option('--languages <codes>', 'keep only these languages, e.g. en,es', languagesOption)
    .option(
      '--max-quarantined <share>',
      'warn and exit with status 3 when more than this share of the posts is quarantined (0-1 or a percentage)',
      shareOption,
      DEFAULT_MAX_QUARANTINED_SHARE,
    )
    .option(
      '--lexicon <file>',
      'domain lexicon: extra words with valences ("word<TAB>valence", -4..4) for the sentiment lexicon (sets SOCIALSENSE_LEXICON for this process\'s worker)',
    )
    .option('--no-worker', 'do not run a worker in this process (a worker fleet is polling the queues)')
    .option('--json', 'print the summary as one JSON object')
    .action(async (opts, cmd: Command) => {
      // Options that only make sense together are checked before anything starts.
      if (opts.source === 'file' && !opts.file) cmd.error('error: --source file needs --file PATH (a CSV, TSV, JSONL/NDJSON or JSON file)');
      if (opts.source !== 'file' && (opts.file || opts.map || opts.format))
        cmd.error(`error: --file, --map and --format are for --source file, not --source ${opts.source}`);
      if (opts.lexicon) {
        try {
          useLexiconOption(opts.lexicon);
        } catch (err) {
          cmd.error(`error: --lexicon: ${(err as Error).message}`);
        }
      }
      installRuntime();
      const stack = await connectStack();
      try {
        // A file's posts fall on their own days: a window (--date, --days) would only be stored in the run's input
        // as if the file were of that day.
        const window = opts.source === 'file' ? {} : { date: opts.date ?? yesterday(), days: opts.days };
        const input: PipelineInput = {
          source: opts.source,
          ...window,
          posts: opts.posts,
          query: opts.query,
          // a federated platform's instance (Mastodon's MASTODON_BASE_URL) when not the default: part of the run's identity
          ...instanceInput(opts.source, process.env),
          languages: opts.languages ?? null,
          // Resolved here: the run's identity hashes the file this command sees, and the worker (another process,
          // maybe another directory) must read that file, not one of the same name in its own directory.
          file: opts.file
            ? { path: path.resolve(opts.file), mapping: opts.map, platform: opts.platform, ...(opts.format ? { format: opts.format } : {}) }
            : undefined,
          maxQuarantinedShare: opts.maxQuarantined,
        };
        const id = await pipelineWorkflowId(input);
        // the pipeline and its collect child (workflows/pipeline.ts): where a platform or file error retries
        const { workflowId, summary } = await followRun(stack, opts.worker, () => runPipeline(stack, input, id), [id, `${id}-collect`]);
        // Judged by this command's --max-quarantined, also when it attached to a run started with another.
        const check = await enforceQuarantineShare(stack.store, summary, opts.maxQuarantined);
        const read = readWarnings(summary);
        for (const w of read) printLine(`warning: run ${summary.runKey}: ${w}`, process.stderr);
        const flags = {
          quarantineShare: check.quarantineShare,
          tooManyQuarantined: check.tooManyQuarantined,
          warnings: [...(check.warning ? [check.warning] : []), ...read],
        };
        // A file import covers the file's own days (its partitions), not the --date window the workflow defaults to
        // (yesterday): its summary's date would be misleading, so it is reported as null.
        const shown = opts.source === 'file' ? { ...summary, date: null } : summary;
        if (opts.json) process.stdout.write(JSON.stringify({ workflowId, ...shown, ...flags }) + '\n');
        else printLine(formatSummary(summary, { workflowId, uiUrl: stack.uiUrl }));
      } finally {
        await stack.close();
      }
    });
}
