-- people_counter (and people_counter_sliding): per camera and event-time window.
--   window: ${window_fn} over event_time (TUMBLE: [start, start + size), epoch-aligned;
--           HOP: size and slide); the watermark is declared on the raw table (jobs/tables.py).
--   input:  person_detections (jobs/sql/person_detections_parse.sql)
--
-- Each frame becomes one row per detection (LEFT JOIN UNNEST keeps frames without any), and
-- `first_of_frame` marks one row per frame, so per-frame figures are not counted twice.
CREATE TEMPORARY VIEW person_detection_tracks AS
SELECT
  d.site_id, d.camera_id, d.people_count, d.event_time,
  t.pos IS NULL OR t.pos = 1                                        AS first_of_frame,
  CASE WHEN t.track_id NOT IN ('', 'null') THEN t.track_id END      AS track_id
FROM person_detections AS d
LEFT JOIN UNNEST(SPLIT(REGEXP_REPLACE(d.track_ids_json, '[\[\]]', ''), ','))
  WITH ORDINALITY AS t(track_id, pos) ON TRUE;

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
