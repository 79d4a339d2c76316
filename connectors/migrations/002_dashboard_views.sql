-- Views for dashboards, in their own schema. Dashboards read only these (see 003), never the
-- tables. Demographic counts below k (ivica.privacy.k_min, default 5) per window or rollup are
-- suppressed (NULL), and so is any ratio built from them.
CREATE SCHEMA IF NOT EXISTS dashboard;

CREATE TABLE ivica.privacy (
  id     boolean PRIMARY KEY DEFAULT true CHECK (id),
  k_min  integer NOT NULL DEFAULT 5 CHECK (k_min >= 1)
);
INSERT INTO ivica.privacy DEFAULT VALUES;

-- Keep a count when it is at least k, else NULL. SECURITY DEFINER: the dashboard role may
-- call it without any right on the ivica schema.
CREATE FUNCTION dashboard.k_suppress(n numeric) RETURNS numeric
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $$ SELECT CASE WHEN n >= (SELECT k_min FROM ivica.privacy) THEN n END $$;

CREATE VIEW dashboard.people_minute AS
SELECT site_id, camera_id, window_start, window_end, avg_people, max_people, min_people,
       frames, unique_people
FROM ivica.people_counter;

CREATE VIEW dashboard.people_hourly AS
SELECT site_id, camera_id, window_start AS hour, avg_people, max_people, frames, unique_people
FROM ivica.people_counter_hourly;

-- Rollups of the minute windows: frame-weighted mean, peak, frames.
CREATE VIEW dashboard.people_hourly_rollup AS
SELECT site_id, camera_id, date_trunc('hour', window_start) AS hour,
       sum(avg_people * frames) / sum(frames) AS avg_people,
       max(max_people) AS max_people, sum(frames) AS frames, count(*) AS minutes
FROM ivica.people_counter
GROUP BY site_id, camera_id, date_trunc('hour', window_start);

CREATE VIEW dashboard.people_daily_rollup AS
SELECT site_id, camera_id, date_trunc('day', window_start) AS day,
       sum(avg_people * frames) / sum(frames) AS avg_people,
       max(max_people) AS max_people, sum(frames) AS frames, count(*) AS minutes
FROM ivica.people_counter
GROUP BY site_id, camera_id, date_trunc('day', window_start);

CREATE VIEW dashboard.people_sliding AS
SELECT site_id, camera_id, window_start, window_end, avg_people, max_people, unique_people
FROM ivica.people_counter_sliding;

CREATE VIEW dashboard.gender_minute AS
SELECT site_id, camera_id, window_start, window_end,
       dashboard.k_suppress(men) AS men, dashboard.k_suppress(women) AS women,
       dashboard.k_suppress(unknown) AS unknown,
       dashboard.k_suppress(women)::double precision
         / NULLIF(dashboard.k_suppress(men) + dashboard.k_suppress(women), 0) AS women_share
FROM ivica.gender_counter;

CREATE VIEW dashboard.gender_hourly_rollup AS
SELECT site_id, camera_id, hour,
       dashboard.k_suppress(men) AS men, dashboard.k_suppress(women) AS women,
       dashboard.k_suppress(women)::double precision
         / NULLIF(dashboard.k_suppress(men) + dashboard.k_suppress(women), 0) AS women_share
FROM (SELECT site_id, camera_id, date_trunc('hour', window_start) AS hour,
             sum(men) AS men, sum(women) AS women
      FROM ivica.gender_counter GROUP BY 1, 2, 3) AS h;

CREATE VIEW dashboard.gender_sliding AS
SELECT site_id, camera_id, window_start, window_end,
       dashboard.k_suppress(men) AS men, dashboard.k_suppress(women) AS women
FROM ivica.gender_counter_sliding;

-- Per site and day: people from the minute windows, gender votes summed then suppressed.
CREATE VIEW dashboard.site_daily AS
SELECT p.site_id, p.day, p.cameras, p.avg_people, p.max_people, p.frames,
       dashboard.k_suppress(g.men) AS men, dashboard.k_suppress(g.women) AS women
FROM (SELECT site_id, date_trunc('day', window_start) AS day, count(DISTINCT camera_id) AS cameras,
             sum(avg_people * frames) / sum(frames) AS avg_people, max(max_people) AS max_people,
             sum(frames) AS frames
      FROM ivica.people_counter GROUP BY 1, 2) AS p
LEFT JOIN (SELECT site_id, date_trunc('day', window_start) AS day,
                  sum(men) AS men, sum(women) AS women
           FROM ivica.gender_counter GROUP BY 1, 2) AS g USING (site_id, day);

-- Data health: when each camera was last seen, how long it has been silent, its late events.
CREATE VIEW dashboard.camera_health AS
SELECT p.site_id, p.camera_id, p.last_window_end,
       round(extract(epoch FROM now() - p.last_window_end) / 60) AS silent_minutes,
       coalesce(l.late_events, 0) AS late_events, l.last_late_event
FROM (SELECT camera_id, max(site_id) AS site_id, max(window_end) AS last_window_end
      FROM ivica.people_counter GROUP BY camera_id) AS p
LEFT JOIN (SELECT camera_id, count(*) AS late_events, max(event_time) AS last_late_event
           FROM ivica.late_events GROUP BY camera_id) AS l USING (camera_id);

CREATE VIEW dashboard.dead_letter_counts AS
SELECT job, reason, count(*) AS records, max(received_at) AS last_received
FROM ivica.dead_letters
GROUP BY job, reason;

CREATE VIEW dashboard.late_event_counts AS
SELECT job, camera_id, date_trunc('hour', event_time) AS hour, count(*) AS late_events
FROM ivica.late_events
GROUP BY job, camera_id, date_trunc('hour', event_time);
