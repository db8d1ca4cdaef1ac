/**
 * Text that reaches a terminal. Values printed by the CLI come from posts, handles, platform error
 * messages and file contents, i.e. from strangers; a handle such as `ESC ] 0 ; title BEL` or
 * `ESC [ 2 J` would retitle, recolour or clear the user's terminal, `\r` and backspaces overwrite
 * what a line seems to say, and bidi overrides reorder it. Every table and plain-text printer in cli/
 * goes through `terminalSafe` (directly or via `printLine`); JSON output stays JSON (`jsonLine`).
 */

/**
 * Whole escape sequences, so that their parameters go with them (stripping only ESC from `ESC[31m`
 * would leave `[31m` in the text):
 * OSC / DCS / SOS / PM / APC strings up to BEL or ST; CSI (7-bit and C1) with parameters; other ESC sequences.
 */
const ESCAPE_SEQUENCE =
  /(?:\u001b[\]P_^X]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)|(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|\u001b[\u0020-\u002f]*[\u0030-\u007e]/g;

/** C0 controls, DEL, C1 controls; bidi embeddings, overrides and isolates; line/paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/**
 * `value` as text that cannot control a terminal: escape sequences removed whole, then every other
 * control character removed. Without `multiline`, line breaks and tabs become single spaces (a value
 * is one table cell or one line: a newline in a handle must not forge a row); with it, `\n` and `\t`
 * stay and `\r\n` becomes `\n`.
 *
 * @param value anything; null/undefined become '' and other non-strings their String()
 */
export function terminalSafe(value: unknown, opts: { multiline?: boolean } = {}): string {
  if (value === null || value === undefined) return '';
  const text = String(value).replace(ESCAPE_SEQUENCE, '');
  if (opts.multiline) return text.replace(/\r\n/g, '\n').replace(CONTROL, (c) => (c === '\n' || c === '\t' ? c : ''));
  return text.replace(CONTROL, (c) => (c === '\n' || c === '\t' || c === '\r' || c === '\u2028' || c === '\u2029' ? ' ' : ''));
}

/** Prints plain text for a person (stdout by default), made terminal-safe; one trailing newline. */
export function printLine(text: unknown, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(terminalSafe(text, { multiline: true }) + '\n');
}

/**
 * One JSON object on one line. JSON.stringify already escapes C0 controls (ESC becomes `\u001b`);
 * this also escapes DEL, the C1 controls and U+2028/2029, which JSON allows raw but some terminals
 * and JavaScript parsers do not. The value parses back to exactly the same data.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}
