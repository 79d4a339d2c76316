-- people_counter's parts, straight from the frames: per camera and event-time window, the
-- sums every people figure is made of (jobs/people_counter.sql turns them into the result).
--   window: ${window_fn} over event_time (TUMBLE: [start, start + size), epoch-aligned;
--           HOP: size and slide); the watermark is declared on the raw table (jobs/tables.py).
--   input:  ${events}: the frames (person_detections, jobs/sql/person_detections_parse.sql, or
--           a range replay's part of it)
-- Each frame counts once: the edge delivers at least once, and a repeat has the same event_id
-- (${event_id}; NULL with --keep-repeats). IVICA_ONCE (jobs/sql/functions.sql) counts the frames
-- and sums their people over distinct event ids; MAX, MIN and the track set need no help.
-- IVICA_TRACK_SET gathers the frames' distinct track ids without a row per detection.
-- window_time stays, so that a coarser window can roll these parts up
-- (people_counter_parts_rollup.sql) instead of reading every frame again.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, window_start, window_end, window_time, site_id,
  frames.total                        AS people_sum,
  max_people, min_people,
  frames.n                            AS frames,
  track_ids
FROM (
  SELECT
    camera_id, window_start, window_end, window_time,
    MAX(site_id)                              AS site_id,
    IVICA_ONCE(${event_id}, people_count)     AS frames,
    MAX(people_count)                         AS max_people,
    MIN(people_count)                         AS min_people,
    IVICA_TRACK_SET(track_ids)                AS track_ids
  FROM TABLE(${window_fn}(TABLE ${events}, DESCRIPTOR(event_time), ${window_intervals}))
  GROUP BY camera_id, window_start, window_end, window_time
);
