/** The message at the bottom of a failure chain (workflow → child → activity → application error). */
export function rootMessage(err: unknown): string {
  let e = err as { cause?: unknown; message?: string };
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
