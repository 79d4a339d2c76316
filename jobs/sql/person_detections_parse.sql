-- Parse and validate `person_detections` events once, at the edge of the job.
-- Input:  person_detections_raw(payload STRING, event_time TIMESTAMP(3) with the watermark)
--         (its DDL is built per mode by jobs/tables.py)
-- Output: person_detections_checked  every row: the reason (NULL when valid), the typed fields
--         person_detections          valid, on-time, typed rows (what the windows see)
--         (the dead letters and late rows: jobs/sql/side_outputs.sql, the same for every stream)
--
-- `parsed` is IVICA_PARSE_PERSON_DETECTIONS(payload) (jobs/sql/functions.sql), a computed column
-- of the raw table: each record is read once, in the source, and every output shares it. It is
-- a NULL reason and the typed fields, or the reason alone.
CREATE TEMPORARY VIEW person_detections_checked AS
SELECT payload, event_time, parsed.reason AS reason, parsed.site_id AS site_id,
       parsed.camera_id AS camera_id, parsed.frame_id AS frame_id,
       parsed.people_count AS people_count, parsed.track_ids AS track_ids,
       parsed.event_id AS event_id, parsed.zone_people AS zone_people
FROM person_detections_raw;

-- Valid and on time: what the windows see. Late = at or behind the current watermark.
-- event_id: the key repeats of one event share (the windows count it once: IVICA_ONCE), NULL
-- for an event without one (older producers). zone_people: per zone, the frame's detections in
-- it (NULL when none names a zone).
CREATE TEMPORARY VIEW person_detections AS
SELECT site_id, camera_id, frame_id, people_count, track_ids, event_time, event_id, zone_people
FROM person_detections_checked
WHERE reason IS NULL
  AND (CURRENT_WATERMARK(event_time) IS NULL OR event_time > CURRENT_WATERMARK(event_time));
