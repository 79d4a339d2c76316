-- gender_counter's parts, straight from the classifications: per camera, track and event-time
-- window, the track's male and female votes (jobs/gender_counter.sql counts people from them).
--   window: ${window_fn} over event_time; input: gender_classifications
--   (jobs/sql/gender_classifications_parse.sql). Classifications without a track (track_id
--   NULL) share one row per camera and window.
-- window_time stays, so that a coarser window can roll these parts up
-- (gender_counter_parts_rollup.sql) instead of reading every classification again.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, track_id, window_start, window_end, window_time,
  MAX(site_id)                               AS site_id,
  COUNT(*) FILTER (WHERE gender = 'male')    AS male,
  COUNT(*) FILTER (WHERE gender = 'female')  AS female
FROM TABLE(${window_fn}(TABLE gender_classifications, DESCRIPTOR(event_time), ${window_intervals}))
GROUP BY camera_id, track_id, window_start, window_end, window_time;
