-- gender_counter's parts, straight from the classifications: per camera and event-time window,
-- the untracked classifications by gender, and each track's vote balance (+1 male, -1 female;
-- its sign is the track's majority). jobs/gender_counter.sql counts people from them.
--   window: ${window_fn} over event_time; input: ${job}_events, the classifications in the
--   windows, each once (jobs/sql/deduplicate.sql over gender_classifications_parse.sql)
-- IVICA_VOTE_BALANCE (jobs/sql/functions.sql) keeps one row per camera and window, however many
-- tracks there are. window_time stays, so that a coarser window can roll these parts up
-- (gender_counter_parts_rollup.sql) instead of reading every classification again.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, window_start, window_end, window_time,
  MAX(site_id)                                                          AS site_id,
  COUNT(*) FILTER (WHERE track_id IS NULL AND gender = 'male')          AS untracked_men,
  COUNT(*) FILTER (WHERE track_id IS NULL AND gender = 'female')        AS untracked_women,
  IVICA_VOTE_BALANCE(track_id, CASE WHEN gender = 'male' THEN 1 ELSE -1 END) AS balance
FROM ${job}_events
GROUP BY camera_id, window_start, window_end, window_time;
