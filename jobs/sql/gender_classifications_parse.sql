-- Parse and validate `gender_classifications` events once, at the edge of the job.
-- Input:  gender_classifications_raw(payload STRING, event_time TIMESTAMP(3) with the watermark)
-- Output: gender_classifications_checked, gender_classifications (valid, on time). Same
--         conventions as person_detections_parse.sql.
CREATE TEMPORARY VIEW gender_classifications_checked AS
SELECT payload, event_time, parsed.reason AS reason, parsed.site_id AS site_id,
       parsed.camera_id AS camera_id, parsed.track_id AS track_id, parsed.gender AS gender,
       parsed.event_id AS event_id
FROM gender_classifications_raw;

CREATE TEMPORARY VIEW gender_classifications AS
SELECT site_id, camera_id, track_id, gender, event_time, event_id
FROM gender_classifications_checked
WHERE reason IS NULL
  AND (CURRENT_WATERMARK(event_time) IS NULL OR event_time > CURRENT_WATERMARK(event_time));
