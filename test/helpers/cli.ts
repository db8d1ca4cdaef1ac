import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../lib/paths';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `socialsense` command as a user would, in its own process. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'socialsense.mjs'), ...args], {
      cwd: opts.cwd ?? projectRoot,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`socialsense ${args.join(' ')} timed out; stderr: ${stderr.slice(-2000)}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // e.g. a node binary that cannot be spawned: the test fails with the reason instead of the runner crashing
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The environment without any service settings, and without the project's .env being applied. */
export function envWithoutServices(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (/^(TEMPORAL_|DATABASE_URL|S3_)/.test(key)) delete env[key];
  return env;
}

/** Starts `socialsense <args>` in the background, e.g. a worker process that a test will kill. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'socialsense.mjs'), ...args], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // a process that cannot be spawned shows in the output instead of crashing the test runner
  child.on('error', (err) => (output += `\nspawn error: ${err.message}\n`));
  return {
    child,
    output: () => output,
    /** resolves once the process printed a line matching `pattern` */
    waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output: ${output.slice(-2000)}`)), timeoutMs);
        const check = () => {
          if (pattern.test(output)) {
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`process exited (${child.exitCode}) before ${pattern}; output: ${output.slice(-2000)}`));
          } else setTimeout(check, 100);
        };
        check();
      });
    },
    stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}
