-- footfall's parts, straight from the crossings: per camera, line and event-time window, the
-- crossings by direction and gender (jobs/footfall.sql adds them up).
--   window: ${window_fn} over event_time (captured_at: the first frame on the new side); the
--           watermark is declared on the raw table (jobs/tables.py)
--   input:  ${events}: the crossings (line_crossings, jobs/sql/line_crossings_parse.sql, or a
--           range replay's part of it)
-- Each crossing counts once: a repeat has the same event_id (${event_id}; NULL with
-- --keep-repeats), and IVICA_ONCE counts each id once. The six filters do not overlap, so each
-- crossing sits in exactly one of them: one id table's worth of state per line and window.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, line_id, window_start, window_end, window_time,
  MAX(site_id)                                                                       AS site_id,
  IVICA_ONCE(${event_id}, 1) FILTER (WHERE direction = 'in' AND gender = 'male')     AS in_male,
  IVICA_ONCE(${event_id}, 1) FILTER (WHERE direction = 'in' AND gender = 'female')   AS in_female,
  IVICA_ONCE(${event_id}, 1) FILTER (WHERE direction = 'in' AND gender IS NULL)      AS in_other,
  IVICA_ONCE(${event_id}, 1) FILTER (WHERE direction = 'out' AND gender = 'male')    AS out_male,
  IVICA_ONCE(${event_id}, 1) FILTER (WHERE direction = 'out' AND gender = 'female')  AS out_female,
  IVICA_ONCE(${event_id}, 1) FILTER (WHERE direction = 'out' AND gender IS NULL)     AS out_other
FROM TABLE(${window_fn}(TABLE ${events}, DESCRIPTOR(event_time), ${window_intervals}))
GROUP BY camera_id, line_id, window_start, window_end, window_time;
