import type { FastifyInstance } from 'fastify';
import { listAudit } from '../audit';
import { createApiKey, isLastAdminKey, listApiKeys, revokeApiKey } from '../auth/keys';
import { ROLES } from '../auth/roles';
import { ApiError, cursorSchema, decodeCursor, errorSchema, limitSchema, listSchema, notFound, page } from '../http';
import { anyObject, numericIdSchema, printableLine } from '../schemas';
import type { ApiDeps } from '../server';

/** Admins: API keys (the same functions as `socialsense api keys …`) and the audit log. */

const security = [{ bearerAuth: [] }];
const admin = { minRole: 'admin' as const };
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema };
const keyInfo = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    role: { type: 'string' },
    createdAt: { type: 'string' },
    lastUsedAt: { type: ['string', 'null'] },
    revokedAt: { type: ['string', 'null'] },
  },
} as const;

export function registerAdminRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps;

  app.get(
    '/v1/keys',
    {
      config: admin,
      schema: { tags: ['admin'], summary: 'every API key (never the key itself)', security, response: { 200: listSchema(keyInfo), ...errors } },
    },
    async () => ({
      items: await listApiKeys(db),
      nextCursor: null,
    }),
  );

  app.post<{ Body: { role: string; name: string } }>(
    '/v1/keys',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'create a key; the answer holds the key, shown this once',
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            role: { type: 'string', enum: [...ROLES] },
            name: printableLine(100),
          },
          required: ['role', 'name'],
        },
        response: { 201: { ...keyInfo, properties: { ...keyInfo.properties, key: { type: 'string' } } }, ...errors },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(db, request.body);
      request.auditResult = { keyId: created.id, role: created.role };
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/keys/:id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'revoke a key: its next request is refused',
        security,
        params: { type: 'object', properties: { id: numericIdSchema }, required: ['id'] },
        response: { 200: keyInfo, 404: errorSchema, 409: errorSchema, ...errors },
      },
    },
    async (request) => {
      const id = Number(request.params.id);
      if (await isLastAdminKey(db, id))
        throw new ApiError(
          409,
          'conflict',
          `key ${id} is the last admin key: revoking it would leave no key that can make keys; create another admin key first (POST /v1/keys), or revoke it from the command line (\`socialsense api keys revoke ${id}\`)`,
        );
      const revoked = await revokeApiKey(db, id);
      if (!revoked) throw notFound(`no API key ${request.params.id}`);
      request.auditResult = { keyId: revoked.id };
      return revoked;
    },
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/audit',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'the audit log of operator and admin calls, newest first',
        security,
        querystring: { type: 'object', additionalProperties: false, properties: { limit: limitSchema(), cursor: cursorSchema } },
        response: { 200: listSchema(anyObject), ...errors },
      },
    },
    async (request) => {
      const after = decodeCursor(request.query, ['number']);
      const rows = await listAudit(db, { limit: request.query.limit, before: (after?.[0] as number | undefined) ?? null });
      return page(
        rows,
        request.query,
        (r) => [r.id],
        (r) => r,
      );
    },
  );
}
