-- Up Migration
-- Model registry: every trained version with its evaluation; at most one version of a model serves.
CREATE TABLE models (
  name          text NOT NULL,               -- sentiment | topics | recommender | segments | engagement | trends
  version       integer NOT NULL,
  status        text NOT NULL CHECK (status IN ('candidate', 'serving', 'retired', 'rejected')),
  metrics       jsonb NOT NULL,              -- held-out evaluation of this version
  baseline      jsonb,                       -- the same metrics for the baseline / the version it had to beat
  params        jsonb NOT NULL DEFAULT '{}',
  artifact_uri  text NOT NULL,
  lineage       jsonb NOT NULL DEFAULT '{}', -- training data uris and the run that trained it
  run_key       text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  promoted_at   timestamptz,
  PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX models_one_serving ON models (name) WHERE status = 'serving';

-- Topic descriptions of each topic model version, so the terms behind a topic id can be shown.
CREATE TABLE topic_terms (
  model_version integer NOT NULL,
  topic         integer NOT NULL,
  label         text NOT NULL,               -- top terms joined, for people
  terms         text[] NOT NULL,
  weights       real[] NOT NULL,
  PRIMARY KEY (model_version, topic)
);

-- Incremental user profiles: a mergeable accumulator per author, updated day by day.
CREATE TABLE user_profile_state (
  user_id       text PRIMARY KEY,
  state         jsonb NOT NULL,              -- models/users/profile.ts ProfileState
  profile       jsonb NOT NULL,              -- the finalised profile, for people to query
  folded_days   text[] NOT NULL DEFAULT '{}',-- source/day partitions already in the state: re-runs fold nothing twice
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Per-user insights people query (analysts: segments; creators: recommendations; operators: bots).
CREATE TABLE user_insights (
  user_id                 text PRIMARY KEY,
  run_key                 text NOT NULL,
  handle                  text,
  profile                 jsonb NOT NULL,    -- posts per day, hour entropy, engagement, follower ratio, sentiment, topic mix…
  segment                 integer,
  segment_name            text,
  engagement_probability  real,
  bot_likeness            real,
  recommendations         jsonb NOT NULL DEFAULT '[]', -- [{item, kind, score}], best first
  updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_insights_segment ON user_insights (segment_name);

-- Per-term, per-day volume with the trend flag and the forecast band (marketers: trends).
CREATE TABLE term_trends (
  term           text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('hashtag', 'topic', 'term')),
  day            date NOT NULL,
  volume         integer NOT NULL,
  trend_flag     boolean NOT NULL DEFAULT false,
  score          real,                        -- detector score (e.g. z) behind the flag
  forecast       real,                        -- next-day forecast made at this day
  forecast_low   real,
  forecast_high  real,
  run_key        text NOT NULL,
  PRIMARY KEY (term, kind, day)
);
CREATE INDEX term_trends_flag ON term_trends (day) WHERE trend_flag;

-- Down Migration
DROP TABLE term_trends;
DROP TABLE user_insights;
DROP TABLE user_profile_state;
DROP TABLE topic_terms;
DROP TABLE models;
