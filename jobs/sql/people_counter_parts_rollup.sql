-- people_counter's parts rolled up from a finer window's parts (${base}_parts), for a window
-- whose size and slide are multiples of the finer window's size: exact, because the sums add
-- up and the distinct tracks are the union of the finer windows' tracks. The frames are read
-- once, by the finer window, however many coarser windows there are.
--   window: ${window_fn} over the finer windows' window_time (their last millisecond), so each
--           finer window falls wholly inside the coarser windows that contain it.
CREATE TEMPORARY VIEW ${job}_part_rows AS
SELECT camera_id, site_id, people_sum, max_people, min_people, frames, track_ids,
       window_time AS part_time
FROM ${base}_parts;

CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, window_start, window_end, window_time,
  MAX(site_id)                        AS site_id,
  SUM(people_sum)                     AS people_sum,
  MAX(max_people)                     AS max_people,
  MIN(min_people)                     AS min_people,
  SUM(frames)                         AS frames,
  IVICA_TRACK_SET(track_ids)          AS track_ids
FROM TABLE(${window_fn}(TABLE ${job}_part_rows, DESCRIPTOR(part_time), ${window_intervals}))
GROUP BY camera_id, window_start, window_end, window_time;
