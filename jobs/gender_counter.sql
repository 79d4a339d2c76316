-- gender_counter (and gender_counter_sliding): men, women and unknown per camera and window.
--   window: ${window_fn} over event_time; input: gender_classifications
--   (jobs/sql/gender_classifications_parse.sql)
--
-- A tracked person votes once per window with the track's majority gender; a tie is unknown.
-- Classifications without a track (track_id NULL, one group per window) count one each.
CREATE TEMPORARY VIEW ${job}_track_votes AS
SELECT
  MAX(site_id)                               AS site_id,
  camera_id, track_id, window_start, window_end, window_time,
  COUNT(*) FILTER (WHERE gender = 'male')    AS male,
  COUNT(*) FILTER (WHERE gender = 'female')  AS female
FROM TABLE(${window_fn}(TABLE gender_classifications, DESCRIPTOR(event_time), ${window_intervals}))
GROUP BY camera_id, track_id, window_start, window_end, window_time;

CREATE TEMPORARY VIEW ${job}_results AS
SELECT
  MAX(site_id)                                                              AS site_id,
  camera_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z''')                 AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z''')                   AS window_end,
  SUM(CASE WHEN track_id IS NULL THEN male   WHEN male > female THEN 1 ELSE 0 END) AS men,
  SUM(CASE WHEN track_id IS NULL THEN female WHEN female > male THEN 1 ELSE 0 END) AS women,
  SUM(CASE WHEN track_id IS NOT NULL AND male = female THEN 1 ELSE 0 END)         AS `unknown`  -- a keyword
FROM ${job}_track_votes
GROUP BY camera_id, window_start, window_end;
