// Builds the workflow bundle (webpack, through @temporalio/worker's bundleWorkflowCode) in a process of
// its own and writes it as JSON ({ code, sourceMap }) to the file named by argv[3]; argv[2] is the
// workflows entry. workers/worker.ts runs this so webpack's heap and code (~100 MiB, measured) are
// returned to the system when this process exits, instead of staying in the worker's resident set.
// Plain JavaScript: webpack compiles the workflow TypeScript itself, so no tsx is needed here.
import fs from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';

const [workflowsPath, outFile] = process.argv.slice(2);
if (!workflowsPath || !outFile) {
  console.error('usage: node workers/bundleWorkflows.mjs <workflows entry> <output json>');
  process.exit(2);
}
const quiet = () => undefined;
const bundle = await bundleWorkflowCode({
  workflowsPath,
  logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (m) => console.error(m) },
});
fs.writeFileSync(outFile, JSON.stringify({ code: bundle.code, sourceMap: bundle.sourceMap }));
