-- Up Migration
-- The posts user profiles hold (activities/profiles.ts updateUserProfiles). A fold's unit is a partition and
-- its content, so a file that brings posts an earlier file already brought (a re-export, a longer export of
-- the same days) is a new unit; without this table its old posts were folded into their authors' profiles a
-- second time. A fold inserts its post ids here in its own transaction and folds only those it inserted.
CREATE TABLE profile_folded_posts (
  post_id   text PRIMARY KEY,
  unit      text NOT NULL,                         -- the fold that took the post: source/day#digest
  folded_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE profile_folded_posts;
