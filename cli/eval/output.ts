import { terminalSafe } from '../terminalText';

/**
 * What every eval command prints: one JSON object (for scripts) or the readable summary. Errors are
 * not caught here: cli/main.ts prints them as one line and exits with 2.
 */
export function printEval<T>(result: T, json: boolean | undefined, formatText: (result: T) => string): void {
  // text holds names and messages from data files: terminal-safe; JSON escapes control characters itself
  process.stdout.write(json ? JSON.stringify(result) + '\n' : terminalSafe(formatText(result), { multiline: true }));
}
