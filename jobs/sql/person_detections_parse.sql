-- Parse and validate `person_detections` events once, at the edge of the job.
-- Input:  person_detections_raw(payload STRING, event_time TIMESTAMP(3) with the watermark)
--         (its DDL is built per mode by jobs/tables.py)
-- Output: person_detections       valid, on-time, typed rows (what the windows see)
--         person_detection_tracks one row per detection of those frames, for the windows
--         person_detections_dlq   invalid rows with the reason and the original payload
--         person_detections_late  valid rows at or behind the current watermark
--
-- IVICA_PARSE_PERSON_DETECTIONS (jobs/sql/functions.sql) reads each record once and gives one
-- row: a NULL reason and the typed fields, or the reason alone. Every output of the job shares
-- this one parse.
CREATE TEMPORARY VIEW person_detections_checked AS
SELECT r.payload, r.event_time, p.reason, p.site_id, p.camera_id, p.frame_id, p.people_count,
       p.track_ids
FROM person_detections_raw AS r
CROSS JOIN LATERAL TABLE(IVICA_PARSE_PERSON_DETECTIONS(r.payload)) AS p;

-- Valid and on time: what the windows see. Late = at or behind the current watermark.
CREATE TEMPORARY VIEW person_detections AS
SELECT site_id, camera_id, frame_id, people_count, track_ids, event_time
FROM person_detections_checked
WHERE reason IS NULL
  AND (CURRENT_WATERMARK(event_time) IS NULL OR event_time > CURRENT_WATERMARK(event_time));

-- Each frame becomes one row per detection (LEFT JOIN UNNEST keeps frames without any), and
-- `first_of_frame` marks one row per frame, so per-frame figures are not counted twice.
-- track_id is NULL for an untracked detection.
CREATE TEMPORARY VIEW person_detection_tracks AS
SELECT
  d.site_id, d.camera_id, d.people_count, d.event_time,
  t.pos IS NULL OR t.pos = 1                                        AS first_of_frame,
  t.track_id
FROM person_detections AS d
LEFT JOIN UNNEST(d.track_ids) WITH ORDINALITY AS t(track_id, pos) ON TRUE;

CREATE TEMPORARY VIEW person_detections_late AS
SELECT camera_id, event_time, CURRENT_WATERMARK(event_time) AS watermark_at, payload
FROM person_detections_checked
WHERE reason IS NULL AND event_time <= CURRENT_WATERMARK(event_time);

CREATE TEMPORARY VIEW person_detections_dlq AS
SELECT reason, payload
FROM person_detections_checked
WHERE reason IS NOT NULL;
