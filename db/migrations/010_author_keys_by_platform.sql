-- Up Migration
-- Authors are keyed by platform from now on (`platform:native_id`, lib/platformName.ts authorKey): X's user 12 and a
-- Facebook user 12, or a file's `u123` and the simulated network's `u123`, were one author, one profile and one set of
-- recommendations. Rows written before keep their meaning:
--   * post_scores: every author id gets its row's platform (the `unknown:…` ids of unnamed authors stay as they are);
--   * profiles and insights of an author seen on one platform only (by their scored posts or, for users who only
--     engaged, by the one source of the units folded into them) are renamed to the key, inside their JSON too;
--   * a profile that merged authors of several platforms cannot be split here: it stays under its bare id, untouched by
--     later folds, and its posts are taken out of profile_folded_posts so that running those days again folds them
--     into the right authors' profiles (README, "Authors are keyed by platform").

CREATE TEMP TABLE author_post_platforms AS
  SELECT author_id AS old_id, min(platform) AS platform, count(DISTINCT platform) AS platforms
  FROM post_scores WHERE author_id NOT LIKE 'unknown:%' GROUP BY author_id;

CREATE TEMP TABLE author_unit_sources AS
  SELECT user_id AS old_id, min(split_part(u, '/', 1)) AS source, count(DISTINCT split_part(u, '/', 1)) AS sources
  FROM user_profile_state, unnest(folded_days) AS u GROUP BY user_id;

CREATE TEMP TABLE author_key_map AS
  SELECT ids.old_id, coalesce(p.platform, s.source) || ':' || ids.old_id AS new_id
  FROM (SELECT user_id AS old_id FROM user_profile_state UNION SELECT user_id FROM user_insights) ids
  LEFT JOIN author_post_platforms p USING (old_id)
  LEFT JOIN author_unit_sources s USING (old_id)
  WHERE ids.old_id NOT LIKE 'unknown:%'
    AND CASE WHEN p.old_id IS NOT NULL THEN p.platforms = 1 ELSE s.sources = 1 AND s.source ~ '^[a-z][a-z0-9_-]{0,31}$' END
    AND left(ids.old_id, length(coalesce(p.platform, s.source)) + 1) <> coalesce(p.platform, s.source) || ':';

UPDATE user_profile_state t
  SET user_id = m.new_id,
      state = jsonb_set(t.state, '{userId}', to_jsonb(m.new_id)),
      profile = CASE WHEN t.profile ? 'userId' THEN jsonb_set(t.profile, '{userId}', to_jsonb(m.new_id)) ELSE t.profile END
  FROM author_key_map m
  WHERE t.user_id = m.old_id AND NOT EXISTS (SELECT 1 FROM user_profile_state k WHERE k.user_id = m.new_id);

UPDATE user_insights t
  SET user_id = m.new_id,
      profile = CASE WHEN t.profile ? 'userId' THEN jsonb_set(t.profile, '{userId}', to_jsonb(m.new_id)) ELSE t.profile END
  FROM author_key_map m
  WHERE t.user_id = m.old_id AND NOT EXISTS (SELECT 1 FROM user_insights k WHERE k.user_id = m.new_id);

DELETE FROM profile_folded_posts f
  USING post_scores p, author_post_platforms a
  WHERE f.post_id = p.post_id AND p.author_id = a.old_id AND a.platforms > 1;

UPDATE post_scores SET author_id = platform || ':' || author_id
  WHERE author_id NOT LIKE 'unknown:%' AND left(author_id, length(platform) + 1) <> platform || ':';

DROP TABLE author_key_map;
DROP TABLE author_unit_sources;
DROP TABLE author_post_platforms;

-- Down Migration
-- Keys are not taken apart again: a bare id cannot tell the authors it would merge.
SELECT 1;
