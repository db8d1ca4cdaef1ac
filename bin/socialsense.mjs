#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so there is no build step between editing and running.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main();
// Temporal's native runtime and pg keep handles alive after the work is done; the command is finished.
process.exit(process.exitCode ?? 0);
