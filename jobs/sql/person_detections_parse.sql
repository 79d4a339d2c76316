-- Parse and validate `person_detections` events once, at the edge of the job.
-- Input:  person_detections_raw(payload STRING, event_time TIMESTAMP(3) rowtime)
--         (its DDL, with the watermark, is built by jobs/runtime.py per mode)
-- Output: person_detections_checked (every record with its `reason`, NULL when valid)
--
-- Type checks use JSON_QUERY ... WITH ARRAY WRAPPER: a JSON number 3 shows as [3] and a
-- string "3" as ["3"], so wrong types are told apart without a Python UDF. A missing field
-- becomes '' (never NULL), so that no check can pass by being NULL.
-- (JSON_VALUE ... RETURNING INT on a string value crashes the job in Flink 2.2.)
CREATE TEMPORARY VIEW person_detections_fields AS
SELECT
  payload,
  event_time,
  payload IS JSON OBJECT                                                          AS is_object,
  COALESCE(JSON_QUERY(payload, '$.site_id' WITH ARRAY WRAPPER), '')               AS site_id_json,
  COALESCE(JSON_QUERY(payload, '$.camera_id' WITH ARRAY WRAPPER), '')             AS camera_id_json,
  COALESCE(JSON_QUERY(payload, '$.frame_id' WITH ARRAY WRAPPER), '')              AS frame_id_json,
  COALESCE(JSON_QUERY(payload, '$.people_count' WITH ARRAY WRAPPER), '')          AS people_count_json,
  COALESCE(JSON_VALUE(payload, '$.captured_at'), '')                              AS captured_at,
  COALESCE(JSON_QUERY(payload, '$.detections'), '')                               AS detections_json,
  COALESCE(JSON_QUERY(payload, '$.detections[*].track_id'
                      WITH CONDITIONAL ARRAY WRAPPER), '')                        AS track_ids_json
FROM person_detections_raw;

CREATE TEMPORARY VIEW person_detections_checked AS
SELECT
  payload,
  event_time,
  CASE
    WHEN NOT is_object                                   THEN 'invalid JSON object'
    WHEN NOT REGEXP(site_id_json, '^\["[^"]+"\]$')       THEN 'site_id: missing or not a non-empty string'
    WHEN NOT REGEXP(camera_id_json, '^\["[^"]+"\]$')     THEN 'camera_id: missing or not a non-empty string'
    WHEN NOT REGEXP(frame_id_json, '^\[[0-9]+\]$')       THEN 'frame_id: missing or not an int >= 0'
    WHEN REGEXP(people_count_json, '^\[-[0-9]+\]$')      THEN 'people_count: negative'
    WHEN NOT REGEXP(people_count_json, '^\[[0-9]+\]$')   THEN 'people_count: missing or not an int'
    WHEN captured_at = ''                                THEN 'captured_at: missing'
    WHEN NOT REGEXP(captured_at, '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$')
      OR TO_TIMESTAMP(captured_at, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') IS NULL
                                                         THEN 'captured_at: not ISO-8601 UTC with milliseconds and Z'
    WHEN NOT (detections_json IS JSON ARRAY)
                                                         THEN 'detections: missing or not a list'
    WHEN NOT REGEXP(track_ids_json, '^\[((-?[0-9]+|null)(,(-?[0-9]+|null))*)?\]$')
                                                         THEN 'detections: track_id not an int or null'
  END AS reason,
  JSON_VALUE(payload, '$.site_id')                             AS site_id,
  JSON_VALUE(payload, '$.camera_id')                           AS camera_id,
  TRY_CAST(JSON_VALUE(payload, '$.frame_id') AS BIGINT)        AS frame_id,
  TRY_CAST(JSON_VALUE(payload, '$.people_count') AS INT)       AS people_count,
  track_ids_json
FROM person_detections_fields;

-- Valid and on time: what the windows see. Late = at or behind the current watermark.
CREATE TEMPORARY VIEW person_detections AS
SELECT site_id, camera_id, frame_id, people_count, track_ids_json, event_time
FROM person_detections_checked
WHERE reason IS NULL
  AND (CURRENT_WATERMARK(event_time) IS NULL OR event_time > CURRENT_WATERMARK(event_time));

CREATE TEMPORARY VIEW person_detections_late AS
SELECT camera_id, event_time, CURRENT_WATERMARK(event_time) AS watermark_at, payload
FROM person_detections_checked
WHERE reason IS NULL AND event_time <= CURRENT_WATERMARK(event_time);

CREATE TEMPORARY VIEW person_detections_dlq AS
SELECT reason, payload
FROM person_detections_checked
WHERE reason IS NOT NULL;
