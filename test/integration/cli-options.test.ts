import { describe, expect, it } from 'vitest';
import { envWithoutServices, runCli } from '../helpers/cli';

/**
 * Values no run can use are refused while the command line is parsed: exit code 1, a message that
 * names the option and what is allowed, nothing on stdout, and nothing started (no services are
 * configured here, so a command that got past parsing would fail differently, with code 2).
 */
const env = envWithoutServices({ SOCIALSENSE_ENV_FILE: '/dev/null' });

const cases: Array<[string, string[], RegExp]> = [
  // the post fields are fixed: a typo is refused before the run starts (the worker found it, exit 2)
  [
    '--map with an unknown field',
    ['run', '--source', 'file', '--file', 'posts.jsonl', '--map', 'txt=text'],
    /option '--map <field=column>' argument 'txt=text' is invalid\. unknown field "txt"; mappable fields: id, text, title, created_at, author_id, author_handle, followers, lang, url, likes, reposts, replies/,
  ],
  ['--map without =', ['run', '--source', 'file', '--file', 'posts.jsonl', '--map', 'text'], /argument 'text' is invalid\. expected FIELD=COLUMN, got "text"/],
  ['--days 0', ['run', '--days', '0'], /option '--days <n>' argument '0' is invalid\. too small: got 0 \(days in the window: a whole number from 1 to 366\)/],
  [
    '--days negative',
    ['demo', '--days', '-3'],
    /option '--days <n>' argument '-3' is invalid\. expected a whole number, got "-3" \(days in the window: a whole number from 1 to 366\)/,
  ],
  ['--days not whole', ['run', '--days', '2.5'], /option '--days <n>' argument '2\.5' is invalid\. expected a whole number, got "2\.5"/],
  [
    '--days absurdly large',
    ['retrain', '--days', '100000'],
    /option '--days <n>' argument '100000' is invalid\. too large: got 100000 \(days in the training window: a whole number from 3 to 366\)/,
  ],
  [
    'services with an unknown service',
    ['services', 'up', 'foo'],
    /command-argument value 'foo' is invalid for argument 'service'\. Allowed choices are temporal, minio, postgres, kafka/,
  ],
  [
    'services with an unknown action',
    ['services', 'restart'],
    /command-argument value 'restart' is invalid for argument 'action'\. Allowed choices are up, down, status/,
  ],
  [
    'retrain --days below its minimum',
    ['retrain', '--days', '1'],
    /option '--days <n>' argument '1' is invalid\. too small: got 1 \(days in the training window: a whole number from 3 to 366\)/,
  ],
  ['run --days absurdly large', ['run', '--days', '100000'], /too large: got 100000 \(days in the window: a whole number from 1 to 366\)/],
  ['--posts 0', ['demo', '--posts', '0'], /option '--posts <n>' argument '0' is invalid\. too small: got 0 \(posts: a whole number from 1 to 1,000,000\)/],
  ['--max-posts 0', ['collect', '--source', 'x', '--max-posts', '0'], /option '--max-posts <n>' argument '0' is invalid\. too small/],
  [
    '--concurrency 0',
    ['backfill', '--from', '2024-06-01', '--to', '2024-06-03', '--concurrency', '0'],
    /option '--concurrency <n>' argument '0' is invalid\. too small: got 0 \(runs at once: a whole number from 1 to 64\)/,
  ],
  [
    '--limit 0',
    ['insights', 'trends', '--limit', '0'],
    /option '--limit <n>' argument '0' is invalid\. too small: got 0 \(rows: a whole number from 1 to 10,000\)/,
  ],
  [
    'impossible date 2024-02-30',
    ['run', '--date', '2024-02-30'],
    /option '--date <YYYY-MM-DD>' argument '2024-02-30' is invalid\. "2024-02-30" is not a date: February 2024 has 29 days/,
  ],
  ['2023-02-29 (not a leap year)', ['retrain', '--date', '2023-02-29'], /"2023-02-29" is not a date: February 2023 has 28 days/],
  [
    'month 13',
    ['backfill', '--from', '2024-13-01', '--to', '2024-12-02'],
    /option '--from <YYYY-MM-DD>' argument '2024-13-01' is invalid\. "2024-13-01" is not a date: month 13 does not exist \(01 to 12\)/,
  ],
  [
    'date not YYYY-MM-DD',
    ['run', '--date', '03/06/2024'],
    /option '--date <YYYY-MM-DD>' argument '03\/06\/2024' is invalid\. expected a date as YYYY-MM-DD, e\.g\. 2026-11-24, got "03\/06\/2024"/,
  ],
  [
    '--from after --to',
    ['backfill', '--from', '2024-06-10', '--to', '2024-06-01'],
    /--from 2024-06-10 is after --to 2024-06-01; the range must start on or before its last day/,
  ],
  ['schedule backfill --from after --to', ['schedule', 'backfill', '--from', '2024-03-01', '--to', '2024-02-01'], /--from 2024-03-01 is after --to 2024-02-01/],
  [
    'a range of decades',
    ['backfill', '--from', '2004-01-01', '--to', '2024-12-31'],
    /--from 2004-01-01 … --to 2024-12-31 spans 7,671 days; at most 3,660 are allowed in one command/,
  ],
  // days no post can be on: a typo of the year (2099 for 2026, 1990 for 2019) is refused, never run
  [
    'run --date in the future',
    ['run', '--date', '2099-01-01'],
    /option '--date <YYYY-MM-DD>' argument '2099-01-01' is invalid\. 2099-01-01 is in the future: days up to \d{4}-\d{2}-\d{2} \(tomorrow, UTC\) can hold posts/,
  ],
  ['retrain --date in the future', ['retrain', '--date', '2062-11-30'], /argument '2062-11-30' is invalid\. 2062-11-30 is in the future/],
  [
    'backfill --to in the future',
    ['backfill', '--from', '2026-11-01', '--to', '2099-11-02'],
    /option '--to <YYYY-MM-DD>' argument '2099-11-02' is invalid\. 2099-11-02 is in the future/,
  ],
  [
    'backfill --from before 2004',
    ['backfill', '--from', '1990-01-01', '--to', '1990-01-02'],
    /option '--from <YYYY-MM-DD>' argument '1990-01-01' is invalid\. 1990-01-01 is before 2004-01-01, the earliest day SocialSense reads posts of/,
  ],
  [
    'collect --until in the future',
    ['collect', '--source', 'x', '--query', 'q', '--until', '2099-05-02'],
    /argument '2099-05-02' is invalid\. 2099-05-02 is in the future/,
  ],
  [
    'collect --since after --until',
    ['collect', '--source', 'x', '--query', 'q', '--since', '2024-06-05', '--until', '2024-06-01'],
    /--since 2024-06-05 must be before --until 2024-06-01 \(--until is exclusive\)/,
  ],
  // retrain takes file (it trains on the imports of its window); backfill collects every day, so it cannot
  ['retrain --source unknown', ['retrain', '--source', 'myspace'], /option '--source <name>' argument 'myspace' is invalid/],
  [
    'backfill --source file',
    ['backfill', '--from', '2024-06-01', '--to', '2024-06-02', '--source', 'file'],
    /option '--source <name>' argument 'file' is invalid\. "file" cannot be collected again: this command collects every day of its window itself, and a file import has no file for those days; use simulated, x, facebook/,
  ],
  [
    'unknown source',
    ['run', '--source', 'myspace'],
    /option '--source <name>' argument 'myspace' is invalid\. unknown source "myspace"; use one of simulated, file, x, facebook, instagram, mastodon, bluesky, reddit/,
  ],
  [
    'cron value out of range',
    ['schedule', 'apply', '--cron', '61 2 * * *'],
    /option '--cron <expr>' argument '61 2 \* \* \*' is invalid\. "61 2 \* \* \*" is not a valid cron expression \(.*61.*0-59.*\); expected 5 fields/,
  ],
  [
    'cron with 4 fields',
    ['schedule', 'apply', '--cron', '0 2 * *'],
    /"0 2 \* \*" has 4 fields; expected 5 fields "minute hour day-of-month month day-of-week"/,
  ],
  ['cron gibberish', ['schedule', 'apply', '--cron', 'every night'], /"every night" has 2 fields/],
  ['unknown cron macro', ['schedule', 'apply', '--cron', '@fortnightly'], /unknown cron macro "@fortnightly"; expected 5 fields .* or one of @yearly/],
  [
    'unknown time zone',
    ['schedule', 'apply', '--timezone', 'Mars/Olympus'],
    /option '--timezone <tz>' argument 'Mars\/Olympus' is invalid\. unknown time zone "Mars\/Olympus"; use an IANA name/,
  ],
];

describe('a worker with a bad stage setting', () => {
  it.each([
    ['SOCIALSENSE_MAX_PARTITION_POSTS', 'abc', 'SOCIALSENSE_MAX_PARTITION_POSTS must be a positive integer, got "abc"'],
    ['SOCIALSENSE_MAX_PARTITION_POSTS', '1.5', 'SOCIALSENSE_MAX_PARTITION_POSTS must be a positive integer, got "1.5"'],
    ['SOCIALSENSE_PREPROCESS_MEMORY_POSTS', '-5', 'SOCIALSENSE_PREPROCESS_MEMORY_POSTS must be a whole number of posts, got "-5"'],
  ])('%s=%s: refuses to start, naming it (it read it only at the first run before)', async (name, value, message) => {
    const r = await runCli(['worker', '--threads', '0'], { env: { ...env, [name]: value }, timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${message}`);
  });
});

describe.concurrent('bad CLI values are refused up front', () => {
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await runCli(args, { env });
    expect(r.stderr).toMatch(message);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/invalid configuration|is missing/); // refused before the configuration was even read
  });
});
