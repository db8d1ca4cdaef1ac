import type { FastifyInstance } from 'fastify';
import { datasetFields, type DatasetRow } from '../../lib/catalog';
import { keyFromUri, type ObjectStore } from '../../lib/objectStore';
import { ApiError, cursorSchema, decodeCursor, errorSchema, limitSchema, listSchema, notFound, page, badRequest } from '../http';
import { anyObject, dateSchema, EPOCH_US_SQL, FROM_EPOCH_US_SQL, numericIdSchema, platformParam, platformSchema, runKeySchema } from '../schemas';
import type { ApiDeps } from '../server';

/** Analysts: the catalog's datasets with their lineage, and time-limited download links to the objects. */

const security = [{ bearerAuth: [] }];
const analyst = { minRole: 'analyst' as const };
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };

interface DatasetPageRow extends DatasetRow {
  created_us: number;
}

type Presigning = ObjectStore & { presignedGetUrl(key: string, expirySeconds: number): Promise<string> };
const canPresign = (store: ObjectStore): store is Presigning => typeof (store as Partial<Presigning>).presignedGetUrl === 'function';

export function registerDatasetRoutes(app: FastifyInstance, deps: ApiDeps, opts: { expirySeconds: number }): void {
  const { db } = deps;

  app.get<{ Querystring: { stage?: string; source?: string; run?: string; from?: string; to?: string; limit: number; cursor?: string } }>(
    '/v1/datasets',
    {
      config: analyst,
      schema: {
        tags: ['datasets'],
        summary: 'datasets in the catalog, newest first, each with the datasets it was derived from (lineage)',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            stage: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$', description: 'raw, posts, quarantine, filtered, clean, features, scores, …' },
            source: platformSchema,
            run: runKeySchema,
            from: { ...dateSchema, description: 'first partition day (inclusive)' },
            to: { ...dateSchema, description: 'last partition day (inclusive)' },
            limit: limitSchema(),
            cursor: cursorSchema,
          },
        },
        response: { 200: listSchema(anyObject), ...errors },
      },
    },
    async (request) => {
      const { stage, source, run, from, to, limit } = request.query;
      if (from && to && from > to) throw badRequest(`from ${from} is after to ${to}`);
      const after = decodeCursor(request.query, ['number', 'number']);
      const { rows } = await db.query<DatasetPageRow>(
        `SELECT id, uri, stage, source, partition_date::text AS partition_date, schema, format, records, bytes, sha256, run_key, inputs, created_at,
                ${EPOCH_US_SQL('created_at')} AS created_us
         FROM datasets
         WHERE ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR source = $2) AND ($3::text IS NULL OR run_key = $3)
           AND ($4::date IS NULL OR partition_date >= $4) AND ($5::date IS NULL OR partition_date <= $5)
           AND ($6::bigint IS NULL OR (created_at, id) < (${FROM_EPOCH_US_SQL('$6')}, $7::bigint))
         ORDER BY created_at DESC, id DESC LIMIT $8`,
        [stage ?? null, platformParam(source) ?? null, run ?? null, from ?? null, to ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
      );
      // Lineage one step up: the ids of the inputs that are catalogued, so a client can walk further.
      const inputs = [...new Set(rows.flatMap((r) => r.inputs))];
      const inputIds = new Map<string, number>();
      if (inputs.length) {
        for (const r of (await db.query<{ id: number; uri: string }>(`SELECT id, uri FROM datasets WHERE uri = ANY($1::text[])`, [inputs])).rows)
          inputIds.set(r.uri, Number(r.id));
      }
      return page(
        rows,
        request.query,
        (r) => [Number(r.created_us), Number(r.id)],
        (r) => ({
          id: Number(r.id),
          ...datasetFields(r),
          sha256: r.sha256,
          runKey: r.run_key,
          createdAt: r.created_at.toISOString(),
          lineage: { inputs: r.inputs.map((uri) => ({ uri, id: inputIds.get(uri) ?? null })) },
          download: `/v1/datasets/${r.id}/download`,
        }),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/datasets/:id/download',
    {
      config: analyst,
      schema: {
        tags: ['datasets'],
        summary: `a presigned URL to GET the dataset's object from the object store, valid for ${opts.expirySeconds} s`,
        security,
        params: { type: 'object', properties: { id: numericIdSchema }, required: ['id'] },
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'integer' },
              uri: { type: 'string' },
              url: { type: 'string' },
              expiresAt: { type: 'string' },
              bytes: { type: 'integer' },
              format: { type: 'string' },
            },
          },
          ...errors,
          409: errorSchema,
        },
      },
    },
    async (request) => {
      const { rows } = await db.query<{ id: number; uri: string; bytes: number; format: string }>(`SELECT id, uri, bytes, format FROM datasets WHERE id = $1`, [
        request.params.id,
      ]);
      const d = rows[0];
      if (!d) throw notFound(`no dataset ${request.params.id}; list them with GET /v1/datasets`);
      if (!canPresign(deps.store))
        throw new ApiError(
          409,
          'not_available',
          'the object store is a local folder (embedded stack): it has no download URLs; read the file under the data dir',
        );
      let key: string;
      try {
        key = keyFromUri(deps.store, d.uri);
      } catch (err) {
        throw new ApiError(409, 'not_available', (err as Error).message);
      }
      const url = await deps.store.presignedGetUrl(key, opts.expirySeconds);
      return { id: Number(d.id), uri: d.uri, url, expiresAt: new Date(Date.now() + opts.expirySeconds * 1000).toISOString(), bytes: d.bytes, format: d.format };
    },
  );
}
