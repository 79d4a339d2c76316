-- A stream's side outputs, after its parse (jobs/sql/${stream}_parse.sql); the same for all.
-- Input:  ${stream}_checked (payload, event_time with the watermark, reason: NULL when valid,
--         camera_id and the typed fields)
-- Output: ${stream}_late   valid rows at or behind the current watermark
--         ${stream}_dlq    invalid rows with the reason and the original payload
--         late_rows, dlq_rows   the same, as the job's late and dead-letter outputs write them
--                               (named by job ${job}; times as text)
CREATE TEMPORARY VIEW ${stream}_late AS
SELECT camera_id, event_time, CURRENT_WATERMARK(event_time) AS watermark_at, payload
FROM ${stream}_checked
WHERE reason IS NULL AND event_time <= CURRENT_WATERMARK(event_time);

CREATE TEMPORARY VIEW ${stream}_dlq AS
SELECT reason, payload
FROM ${stream}_checked
WHERE reason IS NOT NULL;

CREATE TEMPORARY VIEW dlq_rows AS
SELECT '${job}' AS job, reason, payload
FROM ${stream}_dlq;

CREATE TEMPORARY VIEW late_rows AS
SELECT '${job}' AS job, camera_id, DATE_FORMAT(event_time, '${ts_format}') AS event_time,
       DATE_FORMAT(watermark_at, '${ts_format}') AS watermark_at, payload
FROM ${stream}_late;
