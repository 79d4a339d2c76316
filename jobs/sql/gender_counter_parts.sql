-- gender_counter's parts, straight from the classifications: per camera and event-time window,
-- the untracked classifications by gender, and each track's vote balance (+1 male, -1 female;
-- its sign is the track's majority). jobs/gender_counter.sql counts people from them.
--   window: ${window_fn} over event_time; input: ${events}, the classifications
--   (gender_classifications, jobs/sql/gender_classifications_parse.sql, or a range replay's
--   part of it)
-- Each classification counts once: a repeat has the same event_id (${event_id}; NULL with
-- --keep-repeats), and IVICA_ONCE and IVICA_VOTE_BALANCE (jobs/sql/functions.sql) count each
-- event_id once. IVICA_VOTE_BALANCE keeps one row per camera and window, however many tracks
-- there are. window_time stays, so that a coarser window can roll these parts up
-- (gender_counter_parts_rollup.sql) instead of reading every classification again.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, window_start, window_end, window_time, site_id,
  men.n                                                                 AS untracked_men,
  women.n                                                               AS untracked_women,
  balance
FROM (
  SELECT
    camera_id, window_start, window_end, window_time,
    MAX(site_id)                                                        AS site_id,
    IVICA_ONCE(${event_id}, 1) FILTER (WHERE track_id IS NULL AND gender = 'male')   AS men,
    IVICA_ONCE(${event_id}, 1) FILTER (WHERE track_id IS NULL AND gender = 'female') AS women,
    IVICA_VOTE_BALANCE(${event_id}, track_id, CASE WHEN gender = 'male' THEN 1 ELSE -1 END)
                                                                        AS balance
  FROM TABLE(${window_fn}(TABLE ${events}, DESCRIPTOR(event_time), ${window_intervals}))
  GROUP BY camera_id, window_start, window_end, window_time
);
