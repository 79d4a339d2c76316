-- dwell's parts, straight from the visits: per camera, zone and event-time window, the visits'
-- dwell times (jobs/dwell.sql names them).
--   window: ${window_fn} over event_time (exited_at: a visit counts in the minute it ended);
--           the watermark is declared on the raw table (jobs/tables.py)
--   input:  ${events}: the finished visits (zone_visits, jobs/sql/zone_visits_parse.sql, or a
--           range replay's part of it)
-- Each visit counts once: IVICA_DWELL keeps each event_id once (${event_id}; NULL with
-- --keep-repeats) with its dwell time, and gives the count, mean, largest, median and 90th
-- percentile (exact, linear between the nearest ranks) when the window ends.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, zone_id, window_start, window_end, window_time,
  MAX(site_id)                              AS site_id,
  IVICA_DWELL(${event_id}, dwell_s)         AS dwell
FROM TABLE(${window_fn}(TABLE ${events}, DESCRIPTOR(event_time), ${window_intervals}))
GROUP BY camera_id, zone_id, window_start, window_end, window_time;
