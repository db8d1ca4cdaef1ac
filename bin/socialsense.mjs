#!/usr/bin/env node
// The CLI is TypeScript with no build step between editing and running: bin/bundle.mjs bundles it into
// .build/ when a source file changed since the last bundle (0.1–0.3 s), and the process runs the bundle.
// SOCIALSENSE_NO_BUNDLE=1 (stacks then name the TypeScript files), a read-only install or a full disk runs the
// TypeScript through tsx instead.
import { bundle, bundlingDisabled } from './bundle.mjs';

let bundled;
try {
  bundled = bundlingDisabled() ? null : bundle({ entry: 'cli/main.ts', name: 'cli' });
} catch (err) {
  // A source that does not compile (esbuild names file, line and column) or a bad SOCIALSENSE_NO_BUNDLE: one line,
  // as the command prints its other errors.
  process.stderr.write(`error: ${err instanceof Error ? err.message.replace(/\n+/g, ' ') : String(err)}\n`);
  process.exit(2);
}
let main;
if (bundled) {
  // Without Node's source maps (--enable-source-maps) on purpose: they cost the worker ~45 MiB (measured idle), as
  // Node then reads the map of every npm module it loads. A stack names the bundle's lines; the bundle is readable,
  // each module under a `// path/file.ts` comment, and NODE_OPTIONS=--enable-source-maps maps them when wanted.
  ({ main } = await import(bundled));
} else {
  (await import('tsx/esm/api')).register();
  ({ main } = await import('../cli/main.ts'));
}
await main();
// Temporal's native runtime and pg keep handles alive after the work is done; the command is finished.
process.exit(process.exitCode ?? 0);
