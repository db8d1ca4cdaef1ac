import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { projectRoot } from '../../lib/paths';

export function registerServices(program: Command): void {
  program
    .command('services')
    .description('start, stop or check the local stack (Temporal dev server + UI, MinIO, Postgres); `up` writes .env')
    .argument('<action>', 'up | down | status')
    .argument('[service]', 'only this one: temporal | minio | postgres | kafka (the Kafka broker starts only when named: `up kafka`)')
    .action((action: string, service?: string) => {
      if (!['up', 'down', 'status'].includes(action)) throw new Error(`unknown action "${action}": use up, down or status`);
      if (service && !['temporal', 'minio', 'postgres', 'kafka'].includes(service))
        throw new Error(`unknown service "${service}": use temporal, minio, postgres or kafka`);
      const result = spawnSync('bash', [path.join(projectRoot, 'scripts', 'services.sh'), action, ...(service ? [service] : [])], { stdio: 'inherit' });
      process.exitCode = result.status ?? 1;
    });
}
