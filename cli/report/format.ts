/** Number and label formatting shared by the HTML report and the terminal tables, so both print the same figures. */

const locale = 'en-US';

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString(locale);
}

export function fmtNum(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Signed, for values around zero such as sentiment. */
export function fmtSigned(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const s = fmtNum(Math.abs(n), digits);
  return n > 0 && s !== fmtNum(0, digits) ? `+${s}` : n < 0 && s !== fmtNum(0, digits) ? `−${s}` : s;
}

export function fmtPct(share: number | null | undefined, digits = 0): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  return `${(share * 100).toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits })}%`;
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** 2026-11-24 → "Nov 24, 2026" (UTC, so a report reads the same in every time zone) */
export function fmtDay(day: string | null | undefined): string {
  if (!day) return '–';
  const d = new Date(`${day.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : d.toLocaleDateString(locale, { timeZone: 'UTC', month: 'short', day: 'numeric', year: 'numeric' });
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function fmtWindow(from: string | null, to: string | null): string {
  if (!from || !to) return 'unknown dates';
  return from === to ? fmtDay(from) : `${fmtDay(from)} – ${fmtDay(to)}`;
}

/** Words a person reads for a sentiment mean on the −1…+1 compound scale. */
export function sentimentWord(mean: number | null | undefined): string {
  if (mean === null || mean === undefined || !Number.isFinite(mean)) return 'unknown';
  if (mean >= 0.25) return 'very positive';
  if (mean >= 0.05) return 'positive';
  if (mean > -0.05) return 'neutral';
  if (mean > -0.25) return 'negative';
  return 'very negative';
}

export function termLabel(term: string, kind: string): string {
  return kind === 'hashtag' && !term.startsWith('#') ? `#${term}` : term;
}

/** camelCase profile keys → words, for traits without a curated label. */
export function humanizeKey(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A metric value as people read it: rates and scores with 3 decimals, counts as integers. */
export function fmtMetric(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? fmtInt(v) : fmtNum(v, Math.abs(v) < 10 ? 3 : 1);
  if (v === null || v === undefined) return '–';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The numeric metrics of a model (nested objects are left out), in a stable order. */
export function scalarMetrics(metrics: Record<string, unknown> | null | undefined): Array<[string, number]> {
  return Object.entries(metrics ?? {})
    .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
    .sort((a, b) => a[0].localeCompare(b[0]));
}
