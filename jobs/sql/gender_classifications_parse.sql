-- Parse and validate `gender_classifications` events once, at the edge of the job.
-- Input:  gender_classifications_raw(payload STRING, event_time TIMESTAMP(3) with the watermark)
-- Output: gender_classifications (valid, on time), gender_classifications_dlq,
--         gender_classifications_late. Same conventions as person_detections_parse.sql.
--
-- track_id is a required key whose value may be null. JSON_QUERY and JSON_EXISTS cannot tell
-- a null from a missing key, so the key's presence is checked on the text.
CREATE TEMPORARY VIEW gender_classifications_fields AS
SELECT
  payload,
  event_time,
  payload IS JSON OBJECT                                                  AS is_object,
  COALESCE(JSON_QUERY(payload, '$.site_id' WITH ARRAY WRAPPER), '')       AS site_id_json,
  COALESCE(JSON_QUERY(payload, '$.camera_id' WITH ARRAY WRAPPER), '')     AS camera_id_json,
  COALESCE(JSON_VALUE(payload, '$.captured_at'), '')                      AS captured_at,
  COALESCE(JSON_QUERY(payload, '$.track_id' WITH ARRAY WRAPPER), '[null]') AS track_id_json,
  COALESCE(JSON_QUERY(payload, '$.gender' WITH ARRAY WRAPPER), '')        AS gender_json,
  COALESCE(JSON_QUERY(payload, '$.confidence' WITH ARRAY WRAPPER), '')    AS confidence_json
FROM gender_classifications_raw;

CREATE TEMPORARY VIEW gender_classifications_checked AS
SELECT
  payload,
  event_time,
  CASE
    WHEN NOT is_object                                  THEN 'invalid JSON: not an object'
    WHEN NOT REGEXP(site_id_json, '^\["[^"]+"\]$')      THEN 'site_id: missing or not a non-empty string'
    WHEN NOT REGEXP(camera_id_json, '^\["[^"]+"\]$')    THEN 'camera_id: missing or not a non-empty string'
    WHEN captured_at = ''                               THEN 'captured_at: missing'
    WHEN NOT REGEXP(captured_at, '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$')
      OR TO_TIMESTAMP(captured_at, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') IS NULL
      THEN 'captured_at: not ISO-8601 UTC with milliseconds and Z'
    WHEN NOT REGEXP(payload, '"track_id"\s*:')          THEN 'track_id: missing (use null for untracked)'
    WHEN NOT REGEXP(track_id_json, '^\[(-?[0-9]+|null)\]$') THEN 'track_id: not an int or null'
    WHEN NOT REGEXP(gender_json, '^\["(male|female)"\]$')   THEN 'gender: missing or not male/female'
    WHEN NOT REGEXP(confidence_json, '^\[(0(\.[0-9]+)?|1(\.0+)?|[0-9](\.[0-9]+)?E-[0-9]+)\]$')
      THEN 'confidence: missing or not a number in 0..1'
  END AS reason,
  JSON_VALUE(payload, '$.site_id')                           AS site_id,
  JSON_VALUE(payload, '$.camera_id')                         AS camera_id,
  TRY_CAST(JSON_VALUE(payload, '$.track_id') AS BIGINT)      AS track_id,
  JSON_VALUE(payload, '$.gender')                            AS gender
FROM gender_classifications_fields;

CREATE TEMPORARY VIEW gender_classifications AS
SELECT site_id, camera_id, track_id, gender, event_time
FROM gender_classifications_checked
WHERE reason IS NULL
  AND (CURRENT_WATERMARK(event_time) IS NULL OR event_time > CURRENT_WATERMARK(event_time));

CREATE TEMPORARY VIEW gender_classifications_late AS
SELECT camera_id, event_time, CURRENT_WATERMARK(event_time) AS watermark_at, payload
FROM gender_classifications_checked
WHERE reason IS NULL AND event_time <= CURRENT_WATERMARK(event_time);

CREATE TEMPORARY VIEW gender_classifications_dlq AS
SELECT reason, payload
FROM gender_classifications_checked
WHERE reason IS NOT NULL;
