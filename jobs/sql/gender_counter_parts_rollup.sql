-- gender_counter's parts rolled up from a finer window's parts (${base}_parts), for a window
-- whose size and slide are multiples of the finer window's size: a track's balance in the
-- coarser window is the sum of its balances in the finer windows inside it, so its majority,
-- and the rollup, are exact.
--   window: ${window_fn} over the finer windows' window_time (their last millisecond).
CREATE TEMPORARY VIEW ${job}_part_rows AS
SELECT camera_id, site_id, untracked_men, untracked_women, balance, window_time AS part_time
FROM ${base}_parts;

CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, window_start, window_end, window_time,
  MAX(site_id)                               AS site_id,
  SUM(untracked_men)                         AS untracked_men,
  SUM(untracked_women)                       AS untracked_women,
  IVICA_VOTE_BALANCE(balance)                AS balance
FROM TABLE(${window_fn}(TABLE ${job}_part_rows, DESCRIPTOR(part_time), ${window_intervals}))
GROUP BY camera_id, window_start, window_end, window_time;
