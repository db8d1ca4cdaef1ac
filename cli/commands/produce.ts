import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { closeProducers, ensureTopic, publishJson, resolveBrokers } from '../../activities/collect/stream/kafka';
import { jsonDocumentShape } from '../../activities/collect/file';
import { jsonArrayItems } from '../../activities/collect/fileStream';
import { openText, readLines, readTableItems, sniffDelimiter } from '../../lib/tabular';
import { printLine } from '../terminalText';

/**
 * The records of a file as Kafka message values: JSONL/NDJSON lines as they are (one message per line,
 * the text unchanged, so a malformed line reaches the consumer and is quarantined there), the elements of a .json
 * file's array as written, a .json document whole, CSV/TSV rows as flat JSON objects (a .csv's delimiter sniffed, as
 * `run --source file` does). Blank lines are skipped.
 */
export async function* fileMessages(file: string): AsyncGenerator<string> {
  const name = file.replace(/\.gz$/i, '').toLowerCase();
  if (name.endsWith('.csv') || name.endsWith('.tsv') || name.endsWith('.tab')) {
    // a .csv's delimiter is told from its first lines as the importer tells it: comma, semicolon (Excel in European
    // locales), tab or pipe
    const delimiter = name.endsWith('.csv') ? ((await sniffDelimiter(file)) ?? ',') : '\t';
    for await (const item of readTableItems(file, { delimiter })) yield 'row' in item ? JSON.stringify(item.row) : item.raw;
    return;
  }
  // A .json file is read as the importer reads it (activities/collect/file.ts): JSON Lines under that name, an array
  // (a message per element, as written), or one document (one message: an API response the stream recognises whole).
  const shape = /\.json$/.test(name) ? await jsonDocumentShape(file) : 'lines';
  if (shape === 'array') {
    for await (const { text } of jsonArrayItems(await openText(file), path.basename(file))) yield text;
    return;
  }
  if (shape === 'document') {
    let text = '';
    for await (const chunk of await openText(file)) text += chunk;
    if (text.trim()) yield text.trim();
    return;
  }
  for await (const { text } of readLines(file)) if (text.trim()) yield text;
}

/** A message key: the record's id when it has one (ordering per post within a partition), else none. */
function keyOf(value: unknown): string | null {
  const m = /"(?:id|id_str)"\s*:\s*"?([^",}]{1,200})/.exec(String(value));
  return m ? m[1] : null;
}

export function registerProduce(program: Command): void {
  program
    .command('produce')
    .description("publish a file's records to a Kafka topic (one message per JSONL line or CSV row), for demos and tests")
    .requiredOption('--topic <topic>', 'the topic (created with 3 partitions if missing)')
    .requiredOption(
      '--file <path>',
      'a JSONL/NDJSON file (post.v1, flat export records or raw platform JSON), a .json file (an array: a message per element; one document: one message), or CSV/TSV',
    )
    .option('--brokers <host:port,...>', 'brokers (default KAFKA_BROKERS, written by `services up kafka`)')
    .option('--json', 'print the counts as one JSON object')
    .action(async (opts) => {
      const file = path.resolve(opts.file);
      if (!fs.existsSync(file)) throw new Error(`file not found: ${file}`);
      const brokers = resolveBrokers(opts.brokers);
      const started = Date.now();
      await ensureTopic(brokers, opts.topic);
      let sent = 0;
      let chunk: string[] = [];
      try {
        for await (const value of fileMessages(file)) {
          chunk.push(value);
          if (chunk.length >= 1000) {
            sent += await publishJson(brokers, opts.topic, chunk, keyOf);
            chunk = [];
          }
        }
        if (chunk.length > 0) sent += await publishJson(brokers, opts.topic, chunk, keyOf);
      } finally {
        await closeProducers();
      }
      const seconds = (Date.now() - started) / 1000;
      if (opts.json) process.stdout.write(JSON.stringify({ topic: opts.topic, messages: sent, seconds }) + '\n');
      else printLine(`published ${sent} messages to ${opts.topic} in ${seconds.toFixed(1)} s`);
    });
}
