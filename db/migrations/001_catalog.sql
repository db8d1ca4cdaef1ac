-- Up Migration
-- Catalog: every pipeline run and every dataset it wrote, with lineage to the datasets it read.
CREATE TABLE runs (
  run_key      text PRIMARY KEY,            -- business key, e.g. pipeline-2026-11-24-simulated
  workflow_id  text NOT NULL,
  run_id       text,
  kind         text NOT NULL,               -- pipeline | backfill | retrain | collect
  status       text NOT NULL,               -- running | completed | failed
  input        jsonb NOT NULL DEFAULT '{}',
  summary      jsonb,
  error        text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);

CREATE TABLE datasets (
  uri            text PRIMARY KEY,
  stage          text NOT NULL,             -- raw | posts | quarantine | clean | features | scores | ...
  source         text,
  partition_date date,
  schema         text NOT NULL,
  format         text NOT NULL,
  records        bigint NOT NULL,
  bytes          bigint NOT NULL,
  sha256         text NOT NULL,
  run_key        text,
  inputs         text[] NOT NULL DEFAULT '{}',   -- lineage: uris this dataset was derived from
  meta           jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX datasets_stage_date ON datasets (stage, partition_date);
CREATE INDEX datasets_run ON datasets (run_key);

-- Per-post results people query: one row per post, replaced (never duplicated) when a run is repeated.
CREATE TABLE post_scores (
  post_id             text PRIMARY KEY,
  run_key             text NOT NULL,
  partition           text NOT NULL,            -- source/day: what a re-run replaces
  platform            text NOT NULL,
  author_id           text NOT NULL,
  created_at          timestamptz NOT NULL,
  text                text NOT NULL,
  lang                text,
  hashtags            text[] NOT NULL DEFAULT '{}',
  sentiment_compound  real NOT NULL,
  sentiment_label     text NOT NULL CHECK (sentiment_label IN ('negative', 'neutral', 'positive')),
  sentiment_model     text NOT NULL,
  topic               integer,
  scored_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX post_scores_run ON post_scores (run_key, partition);
CREATE INDEX post_scores_created ON post_scores (created_at);

-- Down Migration
DROP TABLE post_scores;
DROP TABLE datasets;
DROP TABLE runs;
