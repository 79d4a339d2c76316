-- Parse and validate `person_detections` events once, at the edge of the job.
-- Input:  person_detections_raw(payload STRING, event_time TIMESTAMP(3) with the watermark)
--         (its DDL is built per mode by jobs/tables.py)
-- Output: person_detections       valid, on-time, typed rows (what the windows see)
--         person_detections_dlq   invalid rows with the reason and the original payload
--         person_detections_late  valid rows at or behind the current watermark
--
-- Types are checked on JSON_QUERY ... WITH ARRAY WRAPPER, where a number 3 shows as [3] and a
-- string "3" as ["3"] (JSON_VALUE ... RETURNING INT on a string crashes the job in Flink 2.2).
-- A missing field becomes '' (never NULL), so no check can pass by being NULL.
-- Lists come as [[...]] from the wrapper; their lengths are counted by their separators.
CREATE TEMPORARY VIEW person_detections_fields AS
SELECT
  payload,
  event_time,
  payload IS JSON OBJECT                                                        AS is_object,
  COALESCE(JSON_QUERY(payload, '$.site_id' WITH ARRAY WRAPPER), '')             AS site_id_json,
  COALESCE(JSON_QUERY(payload, '$.camera_id' WITH ARRAY WRAPPER), '')           AS camera_id_json,
  COALESCE(JSON_QUERY(payload, '$.frame_id' WITH ARRAY WRAPPER), '')            AS frame_id_json,
  COALESCE(JSON_QUERY(payload, '$.people_count' WITH ARRAY WRAPPER), '')        AS people_count_json,
  COALESCE(JSON_VALUE(payload, '$.captured_at'), '')                            AS captured_at,
  COALESCE(JSON_QUERY(payload, '$.detections'), '')                             AS detections_json,
  COALESCE(TRY_CAST(JSON_VALUE(payload, '$.detections.size()') AS INT), -1)     AS n_detections,
  COALESCE(JSON_QUERY(payload, '$.detections[*].track_id'
                      WITH CONDITIONAL ARRAY WRAPPER), '')                      AS track_ids_json,
  COALESCE(JSON_QUERY(payload, '$.detections[*].score' WITH ARRAY WRAPPER), '') AS scores_json,
  COALESCE(JSON_QUERY(payload, '$.detections[*].bbox' WITH ARRAY WRAPPER), '')  AS bboxes_json
FROM person_detections_raw;

CREATE TEMPORARY VIEW person_detections_checked AS
SELECT
  payload,
  event_time,
  CASE
    WHEN NOT is_object                                  THEN 'invalid JSON: not an object'
    WHEN NOT REGEXP(site_id_json, '^\["[^"]+"\]$')      THEN 'site_id: missing or not a non-empty string'
    WHEN NOT REGEXP(camera_id_json, '^\["[^"]+"\]$')    THEN 'camera_id: missing or not a non-empty string'
    WHEN NOT REGEXP(frame_id_json, '^\[[0-9]+\]$')      THEN 'frame_id: missing or not an int >= 0'
    WHEN REGEXP(people_count_json, '^\[-[0-9]+\]$')     THEN 'people_count: negative'
    WHEN NOT REGEXP(people_count_json, '^\[[0-9]+\]$')  THEN 'people_count: missing or not an int'
    WHEN captured_at = ''                               THEN 'captured_at: missing'
    WHEN NOT REGEXP(captured_at, '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$')
      OR TO_TIMESTAMP(captured_at, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') IS NULL
      THEN 'captured_at: not ISO-8601 UTC with milliseconds and Z'
    WHEN NOT (detections_json IS JSON ARRAY)            THEN 'detections: missing or not a list'
    WHEN NOT REGEXP(track_ids_json, '^\[((-?[0-9]+|null)(,(-?[0-9]+|null))*)?\]$')
      OR n_detections <> CASE WHEN track_ids_json = '[]' THEN 0
                              ELSE 1 + CHAR_LENGTH(track_ids_json) - CHAR_LENGTH(REPLACE(track_ids_json, ',', '')) END
      THEN 'detections: track_id missing, or not an int or null'
    WHEN NOT REGEXP(scores_json, '^\[\[((0(\.[0-9]+)?|1(\.0+)?|[0-9](\.[0-9]+)?E-[0-9]+)(,(0(\.[0-9]+)?|1(\.0+)?|[0-9](\.[0-9]+)?E-[0-9]+))*)?\]\]$')
      OR n_detections <> CASE WHEN scores_json = '[[]]' THEN 0
                              ELSE 1 + CHAR_LENGTH(scores_json) - CHAR_LENGTH(REPLACE(scores_json, ',', '')) END
      THEN 'detections: score missing, or not a number in 0..1'
    WHEN NOT REGEXP(bboxes_json, '^\[\[(\[(-?[0-9.Ee+-]+,){3}-?[0-9.Ee+-]+\](,\[(-?[0-9.Ee+-]+,){3}-?[0-9.Ee+-]+\])*)?\]\]$')
      OR n_detections + 2 <> CHAR_LENGTH(bboxes_json) - CHAR_LENGTH(REPLACE(bboxes_json, '[', ''))
      THEN 'detections: bbox missing, or not 4 numbers'
  END AS reason,
  JSON_VALUE(payload, '$.site_id')                           AS site_id,
  JSON_VALUE(payload, '$.camera_id')                         AS camera_id,
  TRY_CAST(JSON_VALUE(payload, '$.frame_id') AS BIGINT)      AS frame_id,
  TRY_CAST(JSON_VALUE(payload, '$.people_count') AS INT)     AS people_count,
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
