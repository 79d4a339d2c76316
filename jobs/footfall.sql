-- footfall: people in and out per camera, line and event-time window, in total and by gender.
--   input: ${job}_parts, per camera, line and window: the crossings by direction and gender,
--          each counted once (jobs/sql/footfall_parts.sql)
-- A crossing without a gender counts in people_in or people_out only.
CREATE TEMPORARY VIEW ${job}_results AS
SELECT
  site_id,
  camera_id,
  line_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z''')         AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z''')           AS window_end,
  crossings.people_in                                               AS people_in,
  crossings.people_out                                              AS people_out,
  crossings.in_male                                                 AS in_male,
  crossings.in_female                                               AS in_female,
  crossings.out_male                                                AS out_male,
  crossings.out_female                                              AS out_female
FROM ${job}_parts;
