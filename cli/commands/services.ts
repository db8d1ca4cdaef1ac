import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Argument, type Command } from 'commander';
import { projectRoot } from '../../lib/paths';

export function registerServices(program: Command): void {
  program
    .command('services')
    .description('start, stop or check the local stack (Temporal dev server + UI, MinIO, Postgres); `up` writes .env')
    // choices: a misspelt action or service is refused as a bad option value is (exit 1, the allowed values named)
    .addArgument(new Argument('<action>', 'what to do').choices(['up', 'down', 'status']))
    .addArgument(
      new Argument('[service]', 'only this one (the Kafka broker starts only when named: `up kafka`)').choices(['temporal', 'minio', 'postgres', 'kafka']),
    )
    .action((action: string, service?: string) => {
      const result = spawnSync('bash', [path.join(projectRoot, 'scripts', 'services.sh'), action, ...(service ? [service] : [])], { stdio: 'inherit' });
      process.exitCode = result.status ?? 1;
    });
}
