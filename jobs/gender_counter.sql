-- gender_counter (and gender_counter_sliding): men, women and unknown per camera and window.
--   input: ${job}_parts, per camera, track and window: the track's male and female votes, from
--          the classifications (jobs/sql/gender_counter_parts.sql) or rolled up from a finer
--          window of the same job (jobs/sql/gender_counter_parts_rollup.sql)
--
-- A tracked person votes once per window with the track's majority gender; a tie is unknown.
-- Classifications without a track (track_id NULL, one row per window) count one each.
CREATE TEMPORARY VIEW ${job}_results AS
SELECT
  MAX(site_id)                                                              AS site_id,
  camera_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z''')                 AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z''')                   AS window_end,
  SUM(CASE WHEN track_id IS NULL THEN male   WHEN male > female THEN 1 ELSE 0 END) AS men,
  SUM(CASE WHEN track_id IS NULL THEN female WHEN female > male THEN 1 ELSE 0 END) AS women,
  SUM(CASE WHEN track_id IS NOT NULL AND male = female THEN 1 ELSE 0 END)         AS `unknown`  -- a keyword
FROM ${job}_parts
GROUP BY camera_id, window_start, window_end;
