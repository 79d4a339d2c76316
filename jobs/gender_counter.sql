-- gender_counter (and gender_counter_sliding): men, women and unknown per camera and window.
--   input: ${job}_parts, per camera and window: the untracked classifications by gender and
--          each track's vote balance, from the classifications (jobs/sql/gender_counter_parts.sql)
--          or rolled up from a finer window of the same job (gender_counter_parts_rollup.sql)
--
-- A tracked person votes once per window with the track's majority gender; a tie is unknown.
-- Classifications without a track count one each.
CREATE TEMPORARY VIEW ${job}_results AS
SELECT
  site_id,
  camera_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z''')     AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z''')       AS window_end,
  untracked_men + majorities.men                                AS men,
  untracked_women + majorities.women                            AS women,
  majorities.`unknown`                                          AS `unknown`  -- a keyword
FROM (SELECT *, IVICA_MAJORITIES(balance) AS majorities FROM ${job}_parts);
