#!/usr/bin/env node
// The CLI is TypeScript with no build step between editing and running: bin/bundle.mjs bundles it into
// .build/ when a source file changed since the last bundle (0.1–0.3 s), and the process runs the bundle.
// SOCIALSENSE_NO_BUNDLE=1 (stacks then name the TypeScript files), or a read-only install, runs the TypeScript
// through tsx instead.
import { bundle } from './bundle.mjs';

const bundled = process.env.SOCIALSENSE_NO_BUNDLE === '1' ? null : bundle({ entry: 'cli/main.ts', name: 'cli' });
let main;
if (bundled) {
  // Without Node's source maps (--enable-source-maps) on purpose: they cost the worker ~45 MiB (measured idle), as
  // Node then reads the map of every npm module it loads. A stack names the bundle's lines; the bundle is readable,
  // each module under a `// path/file.ts` comment, and the map beside it serves debuggers and bench/profile.ts.
  ({ main } = await import(bundled));
} else {
  (await import('tsx/esm/api')).register();
  ({ main } = await import('../cli/main.ts'));
}
await main();
// Temporal's native runtime and pg keep handles alive after the work is done; the command is finished.
process.exit(process.exitCode ?? 0);
