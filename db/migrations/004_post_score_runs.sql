-- Up Migration
-- Which runs scored which posts. post_scores keeps one row per post, carrying the run that scored it
-- last (post_scores.run_key); this table keeps every run that scored it, so a later run that re-scores
-- a post updates the row in place instead of taking it away from the earlier run's accounting, and a
-- run never deletes a row another run also scored.
CREATE TABLE post_score_runs (
  run_key    text NOT NULL,
  post_id    text NOT NULL,
  partition  text NOT NULL,                 -- source/day the run scored the post in
  scored_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_key, post_id)
);
CREATE INDEX post_score_runs_post ON post_score_runs (post_id);
CREATE INDEX post_score_runs_partition ON post_score_runs (run_key, partition);

-- Rows scored before this table existed belong to the run that wrote them.
INSERT INTO post_score_runs (run_key, post_id, partition, scored_at)
SELECT run_key, post_id, partition, scored_at FROM post_scores
ON CONFLICT DO NOTHING;

-- Down Migration
DROP TABLE post_score_runs;
