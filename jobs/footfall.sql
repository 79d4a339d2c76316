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
  in_male.n + in_female.n + in_other.n                              AS people_in,
  out_male.n + out_female.n + out_other.n                           AS people_out,
  in_male.n                                                         AS in_male,
  in_female.n                                                       AS in_female,
  out_male.n                                                        AS out_male,
  out_female.n                                                      AS out_female
FROM ${job}_parts;
