-- zone_occupancy's parts, straight from the frames: per camera and event-time window, the
-- camera's frames and, per zone, the sum and the largest number of people in it over them.
--   window: ${window_fn} over event_time (captured_at); the watermark is declared on the raw
--           table (jobs/tables.py)
--   input:  ${events}: the frames (person_detections, jobs/sql/person_detections_parse.sql, or
--           a range replay's part of it); zone_people: per zone, a frame's detections in it
-- Every frame of the camera counts, with or without anyone in a zone (a frame without anyone in
-- a zone is 0 people there), each event_id once (${event_id}; NULL with --keep-repeats):
-- IVICA_ZONE_PEOPLE keeps one row per camera and window, however many zones there are, and each
-- frame's zones with its id, so that it merges: the planner aggregates in two phases, and a few
-- rows per camera and window cross the exchange instead of every frame.
CREATE TEMPORARY VIEW ${job}_parts AS
SELECT
  camera_id, window_start, window_end, window_time, site_id,
  occupancy.frames                                  AS frames,
  occupancy.zones                                   AS zones
FROM (
  SELECT
    camera_id, window_start, window_end, window_time,
    MAX(site_id)                                    AS site_id,
    IVICA_ZONE_PEOPLE(${event_id}, zone_people)     AS occupancy
  FROM TABLE(${window_fn}(TABLE ${events}, DESCRIPTOR(event_time), ${window_intervals}))
  GROUP BY camera_id, window_start, window_end, window_time
);
