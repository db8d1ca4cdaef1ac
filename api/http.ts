import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The API's HTTP conventions, in one place: one error shape, opaque cursors for lists, ETags on reads.
 *
 * Every error answers
 *   { "error": { "status": 400, "code": "invalid_request", "message": "querystring/from must match format \"date\"", "requestId": "req-1" } }
 * and every list answers { "items": [...], "nextCursor": "…" | null }.
 */

export type ErrorCode =
  'invalid_request' | 'body_too_large' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'rate_limited' | 'not_available' | 'internal';

/** An error the route means to answer with: status, code and a message that says what to fix. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, 'invalid_request', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);

export interface ErrorBody {
  error: { status: number; code: ErrorCode; message: string; requestId: string };
}

export const errorBody = (request: FastifyRequest, status: number, code: ErrorCode, message: string): ErrorBody => ({
  error: { status, code, message, requestId: String(request.id) },
});

/** The JSON schema of the error shape, for the OpenAPI document. */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { status: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
      required: ['status', 'code', 'message', 'requestId'],
    },
  },
  required: ['error'],
} as const;

// ---------------------------------------------------------------------------------------------
// Cursors: the sort key of the last item of a page, opaque to clients (base64url of a JSON array).

export const cursorSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,512}$', description: 'nextCursor of the previous page' } as const;
export const limitSchema = (max = 200, dflt = 50) =>
  ({ type: 'integer', minimum: 1, maximum: max, default: dflt, description: `items per page (1–${max})` }) as const;

/** A list request's query as the cursor helpers read it: its page parameters and its filters. */
export type ListQuery = { cursor?: string; limit: number } & Record<string, unknown>;

/**
 * What a cursor is bound to: the list's filters, i.e. every query parameter but `cursor` and `limit` (a client may
 * change the page size between pages). A cursor of `?from=2026-11-28` sent with `?from=2026-11-27` would otherwise
 * page through a mix of the two queries. 72 bits of SHA-256 of the sorted parameters.
 */
function cursorScope(query: ListQuery): string {
  const filters = Object.entries(query)
    .filter(([name, value]) => name !== 'cursor' && name !== 'limit' && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return crypto.createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

/** The cursor of the page after a row with these sort-key values, bound to the request's filters. */
export function encodeCursor(values: Array<string | number>, query: ListQuery): string {
  return Buffer.from(JSON.stringify([...values, cursorScope(query)])).toString('base64url');
}

/**
 * The sort-key values inside the request's cursor, checked against the kinds it must hold and against the filters it
 * was given out for.
 * @returns null when the request has no cursor (the first page)
 * @throws ApiError 400 when the cursor was not made by this endpoint, or was made for other filters
 */
export function decodeCursor(query: ListQuery, kinds: Array<'string' | 'number' | 'date'>): Array<string | number> | null {
  const cursor = query.cursor;
  if (cursor === undefined) return null;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = null;
  }
  const ok =
    Array.isArray(values) &&
    values.length === kinds.length + 1 &&
    typeof values[kinds.length] === 'string' &&
    values
      .slice(0, kinds.length)
      .every((v, i) =>
        kinds[i] === 'number'
          ? Number.isSafeInteger(v)
          : kinds[i] === 'date'
            ? typeof v === 'string' && !Number.isNaN(Date.parse(v))
            : typeof v === 'string' && v.length <= 1000,
      );
  if (!ok) throw badRequest('cursor is not one this endpoint gave out: pass the nextCursor of the previous page unchanged');
  if ((values as unknown[])[kinds.length] !== cursorScope(query))
    throw badRequest(
      'cursor was given out for other filters: send the same parameters as the first page (limit may change), or leave cursor out to start again',
    );
  return (values as Array<string | number>).slice(0, kinds.length);
}

/** One page of `rows` (fetched with query.limit + 1) and the cursor to the next, from the last row's sort key. */
export function page<T, U>(
  rows: T[],
  query: ListQuery,
  key: (row: T) => Array<string | number>,
  map: (row: T) => U,
): { items: U[]; nextCursor: string | null } {
  const items = rows.slice(0, query.limit);
  return { items: items.map(map), nextCursor: rows.length > query.limit ? encodeCursor(key(items[items.length - 1]), query) : null };
}

export const listSchema = (item: object) => ({
  type: 'object',
  properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } },
  required: ['items', 'nextCursor'],
});

// ---------------------------------------------------------------------------------------------
// ETags: a strong validator from the response bytes, so a client that has the page gets a 304.

/** onSend hook: ETag on every successful GET, and 304 with no body when If-None-Match has it. */
export async function etagOnSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) return payload;
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
  const etag = `"${crypto.createHash('sha256').update(payload).digest('base64url').slice(0, 32)}"`;
  reply.header('etag', etag);
  // the data is per caller and may change with every run: revalidate each time, never share
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'private, no-cache');
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
    reply.code(304);
    reply.removeHeader('content-length');
    return '';
  }
  return payload;
}
