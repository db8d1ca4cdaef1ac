-- Up Migration
-- Streaming (issue 15). Postgres, not the broker, is the record of what a stream has stored: a micro-batch's
-- row and the positions it advances are written in one transaction, so a consumer killed at any point
-- resumes exactly after the last stored batch (Kafka's committed offsets follow, best effort).

-- One row per stream (the stream workflow's id): what it reads and its running totals.
CREATE TABLE streams (
  stream_id    text PRIMARY KEY,
  source       text NOT NULL,                -- kafka | jetstream | mastodon
  config       jsonb NOT NULL DEFAULT '{}',  -- topic, group, url, timeline… (no secrets)
  started_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Micro-batches in sequence. planned: positions chosen (a re-delivery after a crash cuts the same batch, so it
-- maps to the same object key); written: posts durably in the store and positions advanced; scored: its
-- window pipeline finished.
CREATE TABLE stream_batches (
  stream_id    text NOT NULL,
  seq          integer NOT NULL,
  status       text NOT NULL CHECK (status IN ('planned', 'written', 'scored')),
  ranges       jsonb NOT NULL,               -- [{partition, from, to}] positions as decimal strings, inclusive
  result       jsonb,                        -- partitions (DatasetRefs), quarantine, counts
  created_at   timestamptz NOT NULL DEFAULT now(),
  written_at   timestamptz,
  scored_at    timestamptz,
  PRIMARY KEY (stream_id, seq)
);

-- The last stored position per stream partition: a Kafka partition's offset, Jetstream's time_us cursor,
-- Mastodon's last status id.
CREATE TABLE stream_offsets (
  stream_id    text NOT NULL,
  partition    text NOT NULL,
  last_offset  numeric NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, partition)
);

-- Emerging hashtags, terms and topics, one row per (stream, kind, key, bucket); `explanation` says which
-- baseline the bucket beat and by how much, and which terms, authors and topics drove the excess.
CREATE TABLE stream_alerts (
  id            bigserial PRIMARY KEY,
  stream_id     text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('hashtag', 'term', 'topic')),
  key           text NOT NULL,
  bucket_start  timestamptz NOT NULL,
  bucket_ms     integer NOT NULL,
  posts         integer NOT NULL,
  baseline      real NOT NULL,
  score         real NOT NULL,
  explanation   jsonb NOT NULL,
  detected_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, kind, key, bucket_start)
);
CREATE INDEX stream_alerts_detected ON stream_alerts (detected_at);

-- Down Migration
DROP TABLE stream_alerts;
DROP TABLE stream_offsets;
DROP TABLE stream_batches;
DROP TABLE streams;
