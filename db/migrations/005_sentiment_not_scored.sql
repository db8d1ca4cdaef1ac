-- Up Migration
-- A post whose language has no sentiment model (the lexicon and the classifier are English) gets no
-- sentiment instead of a wrong one: label, compound and model are all NULL ("not scored"), never
-- some of them. Numbered 005 because 004 was already applied on shared databases when this was added.
ALTER TABLE post_scores ALTER COLUMN sentiment_compound DROP NOT NULL;
ALTER TABLE post_scores ALTER COLUMN sentiment_label DROP NOT NULL;
ALTER TABLE post_scores ALTER COLUMN sentiment_model DROP NOT NULL;
ALTER TABLE post_scores ADD CONSTRAINT post_scores_sentiment_all_or_none CHECK (
  (sentiment_label IS NULL) = (sentiment_compound IS NULL) AND (sentiment_label IS NULL) = (sentiment_model IS NULL)
);

-- Down Migration
ALTER TABLE post_scores DROP CONSTRAINT post_scores_sentiment_all_or_none;
DELETE FROM post_scores WHERE sentiment_label IS NULL;
ALTER TABLE post_scores ALTER COLUMN sentiment_model SET NOT NULL;
ALTER TABLE post_scores ALTER COLUMN sentiment_label SET NOT NULL;
ALTER TABLE post_scores ALTER COLUMN sentiment_compound SET NOT NULL;
