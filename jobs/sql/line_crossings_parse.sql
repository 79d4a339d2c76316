-- Parse and validate `line_crossings` events once, at the edge of the job.
-- Input:  line_crossings_raw(payload STRING, event_time TIMESTAMP(3) from captured_at, with the
--         watermark; jobs/tables.py)
-- Output: line_crossings_checked, line_crossings (valid, on time). Same conventions as
--         person_detections_parse.sql; the contract's rules exactly
--         (IVICA_PARSE_LINE_CROSSINGS: unknown keys and a missing event_id are dead letters).
CREATE TEMPORARY VIEW line_crossings_checked AS
SELECT payload, event_time, parsed.reason AS reason, parsed.site_id AS site_id,
       parsed.camera_id AS camera_id, parsed.line_id AS line_id,
       parsed.direction AS direction, parsed.gender AS gender, parsed.event_id AS event_id
FROM line_crossings_raw;

-- gender: male, female, or NULL (the edge had none for the track).
CREATE TEMPORARY VIEW line_crossings AS
SELECT site_id, camera_id, line_id, direction, gender, event_time, event_id
FROM line_crossings_checked
WHERE reason IS NULL
  AND (CURRENT_WATERMARK(event_time) IS NULL OR event_time > CURRENT_WATERMARK(event_time));
