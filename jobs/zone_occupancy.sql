-- zone_occupancy: people per camera, zone and event-time window.
--   input: ${job}_parts, per camera and window: the frames, and per zone the sum and the largest
--          number of people in it (jobs/sql/zone_occupancy_parts.sql)
-- avg_people is the mean over all the camera's frames in the window of the people in the zone
-- (a frame without anyone in it counts 0); max_people the most in one frame. A zone gets a row
-- in a window when someone was in it.
CREATE TEMPORARY VIEW ${job}_results AS
SELECT
  site_id,
  camera_id,
  zone.zone_id                                                      AS zone_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss''Z''')         AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss''Z''')           AS window_end,
  CAST(zone.people AS DOUBLE) / frames                              AS avg_people,
  zone.max_people                                                   AS max_people
FROM ${job}_parts
CROSS JOIN UNNEST(zones) AS zone (zone_id, people, max_people);
