-- people_counter (and its sliding and hourly variants): per camera and event-time window.
--   input: ${job}_parts, from the frames (jobs/sql/people_counter_parts.sql) or rolled up from
--          a finer window of the same job (jobs/sql/people_counter_parts_rollup.sql)
-- avg_people is the mean people_count over the window's frames; unique_people the number of
-- distinct non-null track ids.
CREATE TEMPORARY VIEW ${job}_results AS
SELECT
  site_id,
  camera_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z''')         AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z''')           AS window_end,
  CAST(people_sum AS DOUBLE) / frames                               AS avg_people,
  max_people,
  min_people,
  frames,
  CAST(CARDINALITY(track_ids) AS BIGINT)                            AS unique_people
FROM ${job}_parts;
