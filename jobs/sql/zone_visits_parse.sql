-- Parse and validate `zone_visits` events once, at the edge of the job.
-- Input:  zone_visits_raw(payload STRING, event_time TIMESTAMP(3) from exited_at, the end of
--         the visit, with the watermark; jobs/tables.py)
-- Output: zone_visits_checked, zone_visits (valid, on time). Same conventions as
--         person_detections_parse.sql; the contract's rules exactly (IVICA_PARSE_ZONE_VISITS:
--         unknown keys, a missing event_id, and a dwell_s more than 1.5 ms away from
--         exited_at - entered_at are dead letters).
CREATE TEMPORARY VIEW zone_visits_checked AS
SELECT payload, event_time, parsed.reason AS reason, parsed.site_id AS site_id,
       parsed.camera_id AS camera_id, parsed.zone_id AS zone_id, parsed.dwell_s AS dwell_s,
       parsed.event_id AS event_id
FROM zone_visits_raw;

CREATE TEMPORARY VIEW zone_visits AS
SELECT site_id, camera_id, zone_id, dwell_s, event_time, event_id
FROM zone_visits_checked
WHERE reason IS NULL
  AND (CURRENT_WATERMARK(event_time) IS NULL OR event_time > CURRENT_WATERMARK(event_time));
