-- Up Migration
-- API keys (issue 14): only a slow hash (scrypt) of each key's secret is kept, never the key. `lookup`
-- is the key's public, random part (it is inside the key people hold), so a request finds its row
-- without hashing against every key; `revoked_at` set = the key stops working on its next request.
CREATE TABLE api_keys (
  id            bigserial PRIMARY KEY,
  lookup        text NOT NULL UNIQUE,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('viewer', 'analyst', 'operator', 'admin')),
  hash          text NOT NULL,                -- scrypt$N$r$p$salt$derived (base64url)
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- Every operator- and admin-level API call (allowed or refused): who, what, when, with which result.
CREATE TABLE api_audit (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,                  -- key:<id> (<name>), oidc:<subject>, or anonymous
  role        text,                           -- the caller's role, null when unauthenticated
  method      text NOT NULL,
  route       text NOT NULL,                  -- the route pattern, e.g. /v1/backfills/:id/pause
  target      jsonb NOT NULL DEFAULT '{}',    -- path parameters and the request body (never a key)
  status      integer NOT NULL,
  result      jsonb NOT NULL DEFAULT '{}',    -- workflow id, key id, or the error message
  ip          text
);
CREATE INDEX api_audit_at ON api_audit (at DESC, id DESC);

-- A short, stable id per dataset for /v1/datasets/{id}/download (the uri stays the primary key).
ALTER TABLE datasets ADD COLUMN id bigserial;
CREATE UNIQUE INDEX datasets_id ON datasets (id);
CREATE INDEX datasets_created ON datasets (created_at DESC, id DESC);

-- Down Migration
DROP INDEX datasets_created;
DROP INDEX datasets_id;
ALTER TABLE datasets DROP COLUMN id;
DROP TABLE api_audit;
DROP TABLE api_keys;
