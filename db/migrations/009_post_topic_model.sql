-- Up Migration
-- The topic model whose ids a row's `topic` is (`topics.v3`; null: no topic model served, or a row scored before this
-- column). A retrain that promotes a new topic model rescores only its window: the rows outside it keep the ids of the
-- model that scored them, and their topics must be named with that model's terms, not the serving one's.
ALTER TABLE post_scores ADD COLUMN topic_model text;

-- Down Migration
ALTER TABLE post_scores DROP COLUMN topic_model;
