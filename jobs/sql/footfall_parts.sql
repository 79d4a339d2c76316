-- footfall's parts, straight from the crossings: per camera, line and event-time window, the
-- crossings by direction and gender (jobs/footfall.sql adds them up).
--   window: ${window_fn} over event_time (captured_at: the first frame on the new side); the
--           watermark is declared on the raw table (jobs/tables.py)
--   input:  ${events}: the crossings (line_crossings, jobs/sql/line_crossings_parse.sql, or a
--           range replay's part of it)
-- Each crossing counts once: a repeat has the same event_id (${event_id}; NULL with
-- --keep-repeats), and IVICA_FOOTFALL counts each id once, in its direction and gender: one id
-- table per line and window for the six counts.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, line_id, window_start, window_end, window_time,
  MAX(site_id)                                            AS site_id,
  IVICA_FOOTFALL(${event_id}, direction, gender)          AS crossings
FROM TABLE(${window_fn}(TABLE ${events}, DESCRIPTOR(event_time), ${window_intervals}))
GROUP BY camera_id, line_id, window_start, window_end, window_time;
