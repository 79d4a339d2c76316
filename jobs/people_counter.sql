-- people_counter (and people_counter_sliding): per camera and event-time window.
--   window: ${window_fn} over event_time (TUMBLE: [start, start + size), epoch-aligned;
--           HOP: size and slide); the watermark is declared on the raw table (jobs/tables.py).
--   input:  person_detection_tracks (jobs/sql/person_detections_parse.sql): one row per
--           detection, `first_of_frame` on one row per frame
CREATE TEMPORARY VIEW ${job}_results AS
SELECT
  MAX(site_id)                                                      AS site_id,
  camera_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z''')         AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z''')           AS window_end,
  AVG(CAST(people_count AS DOUBLE)) FILTER (WHERE first_of_frame)   AS avg_people,
  MAX(people_count) FILTER (WHERE first_of_frame)                   AS max_people,
  MIN(people_count) FILTER (WHERE first_of_frame)                   AS min_people,
  COUNT(*) FILTER (WHERE first_of_frame)                            AS frames,
  COUNT(DISTINCT track_id)                                          AS unique_people
FROM TABLE(${window_fn}(TABLE person_detection_tracks, DESCRIPTOR(event_time), ${window_intervals}))
GROUP BY camera_id, window_start, window_end;
