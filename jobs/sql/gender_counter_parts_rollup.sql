-- gender_counter's parts rolled up from a finer window's parts (${base}_parts), for a window
-- whose size and slide are multiples of the finer window's size: a track's votes in the coarser
-- window are the sum of its votes in the finer windows inside it, so the rollup is exact.
--   window: ${window_fn} over the finer windows' window_time (their last millisecond).
CREATE TEMPORARY VIEW ${job}_part_rows AS
SELECT camera_id, track_id, site_id, male, female, window_time AS part_time
FROM ${base}_parts;

CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, track_id, window_start, window_end, window_time,
  MAX(site_id)                               AS site_id,
  SUM(male)                                  AS male,
  SUM(female)                                AS female
FROM TABLE(${window_fn}(TABLE ${job}_part_rows, DESCRIPTOR(part_time), ${window_intervals}))
GROUP BY camera_id, track_id, window_start, window_end, window_time;
