-- people_counter's parts, straight from the frames: per camera and event-time window, the
-- sums every people figure is made of (jobs/people_counter.sql turns them into the result).
--   window: ${window_fn} over event_time (TUMBLE: [start, start + size), epoch-aligned;
--           HOP: size and slide); the watermark is declared on the raw table (jobs/tables.py).
--   input:  ${job}_events: the frames in the windows, each frame once (jobs/sql/deduplicate.sql
--           over person_detections, jobs/sql/person_detections_parse.sql)
-- IVICA_TRACK_SET (jobs/sql/functions.sql) gathers the frames' distinct track ids without a
-- row per detection. window_time stays, so that a coarser window can roll these parts up
-- (people_counter_parts_rollup.sql) instead of reading every frame again.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, window_start, window_end, window_time,
  MAX(site_id)                        AS site_id,
  SUM(CAST(people_count AS BIGINT))   AS people_sum,
  MAX(people_count)                   AS max_people,
  MIN(people_count)                   AS min_people,
  COUNT(*)                            AS frames,
  IVICA_TRACK_SET(track_ids)          AS track_ids
FROM ${job}_events
GROUP BY camera_id, window_start, window_end, window_time;
