-- dwell: the visits that ended per camera, zone and event-time window, and how long they lasted.
--   input: ${job}_parts, per camera, zone and window (jobs/sql/dwell_parts.sql)
-- dwell_p50_s is the median, dwell_p90_s the 90th percentile of the visits' dwell_s (seconds).
CREATE TEMPORARY VIEW ${job}_results AS
SELECT
  site_id,
  camera_id,
  zone_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z''')         AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z''')           AS window_end,
  dwell.visits                                                      AS visits,
  dwell.avg_s                                                       AS dwell_avg_s,
  dwell.max_s                                                       AS dwell_max_s,
  dwell.p50_s                                                       AS dwell_p50_s,
  dwell.p90_s                                                       AS dwell_p90_s
FROM ${job}_parts;
