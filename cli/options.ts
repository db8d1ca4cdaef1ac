import { InvalidArgumentError } from 'commander';

export function intOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

export function dateOption(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, got "${value}"`);
  return value;
}

/** `--map text=body --map id=post_id` → { text: 'body', id: 'post_id' } */
export function mappingOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const [field, column] = value.split('=');
  if (!field || !column) throw new InvalidArgumentError(`expected FIELD=COLUMN, got "${value}"`);
  return { ...previous, [field]: column };
}

/** The default day of a run, resolved here because it is part of the run's workflow id. */
export const yesterdayUtc = (): string => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
