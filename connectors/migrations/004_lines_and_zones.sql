-- Footfall, dwell and zone occupancy (docs/zones.md): the result tables of jobs.footfall,
-- jobs.dwell and the people job's zone_occupancy output, and the dashboard views over them.
-- As in 001, the natural key is the primary key the JDBC sink upserts on: a replay or a late
-- update overwrites its rows.
CREATE TABLE ivica.footfall (
  site_id       text        NOT NULL,
  camera_id     text        NOT NULL,
  line_id       text        NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  people_in     bigint      NOT NULL,
  people_out    bigint      NOT NULL,
  in_male       bigint      NOT NULL,
  in_female     bigint      NOT NULL,
  out_male      bigint      NOT NULL,
  out_female    bigint      NOT NULL,
  PRIMARY KEY (camera_id, line_id, window_start, window_end)
);

CREATE TABLE ivica.dwell (
  site_id       text             NOT NULL,
  camera_id     text             NOT NULL,
  zone_id       text             NOT NULL,
  window_start  timestamptz      NOT NULL,
  window_end    timestamptz      NOT NULL,
  visits        bigint           NOT NULL,
  dwell_avg_s   double precision NOT NULL,
  dwell_max_s   double precision NOT NULL,
  dwell_p50_s   double precision NOT NULL,
  dwell_p90_s   double precision NOT NULL,
  PRIMARY KEY (camera_id, zone_id, window_start, window_end)
);

CREATE TABLE ivica.zone_occupancy (
  site_id       text             NOT NULL,
  camera_id     text             NOT NULL,
  zone_id       text             NOT NULL,
  window_start  timestamptz      NOT NULL,
  window_end    timestamptz      NOT NULL,
  avg_people    double precision NOT NULL,
  max_people    integer          NOT NULL,
  PRIMARY KEY (camera_id, zone_id, window_start, window_end)
);

-- The primary keys serve lookups by camera; these, by site and time (the dashboards' filters).
CREATE INDEX footfall_site_start ON ivica.footfall (site_id, window_start);
CREATE INDEX dwell_site_start ON ivica.dwell (site_id, window_start);
CREATE INDEX zone_occupancy_site_start ON ivica.zone_occupancy (site_id, window_start);

-- Dashboards read only views (003). Ins and outs are counts of crossings, not demographics:
-- shown as they are. Their split by gender is demographic: below k (ivica.privacy) it is
-- suppressed, as the gender counts of 002 are.
CREATE VIEW dashboard.footfall_minute AS
SELECT site_id, camera_id, line_id, window_start, window_end, people_in, people_out,
       dashboard.k_suppress(in_male) AS in_male, dashboard.k_suppress(in_female) AS in_female,
       dashboard.k_suppress(out_male) AS out_male,
       dashboard.k_suppress(out_female) AS out_female
FROM ivica.footfall;

-- Per line and hour: the gender counts are summed first, then suppressed, so an hour shows a
-- split that no minute of it could.
CREATE VIEW dashboard.footfall_hourly AS
SELECT site_id, camera_id, line_id, hour, people_in, people_out,
       dashboard.k_suppress(in_male) AS in_male, dashboard.k_suppress(in_female) AS in_female,
       dashboard.k_suppress(out_male) AS out_male,
       dashboard.k_suppress(out_female) AS out_female
FROM (SELECT site_id, camera_id, line_id, date_trunc('hour', window_start) AS hour,
             sum(people_in) AS people_in, sum(people_out) AS people_out,
             sum(in_male) AS in_male, sum(in_female) AS in_female,
             sum(out_male) AS out_male, sum(out_female) AS out_female
      FROM ivica.footfall GROUP BY 1, 2, 3, 4) AS h;

CREATE VIEW dashboard.zone_occupancy_minute AS
SELECT site_id, camera_id, zone_id, window_start, window_end, avg_people, max_people
FROM ivica.zone_occupancy;

CREATE VIEW dashboard.dwell_minute AS
SELECT site_id, camera_id, zone_id, window_start, window_end, visits, dwell_avg_s,
       dwell_max_s, dwell_p50_s, dwell_p90_s
FROM ivica.dwell;

-- 003's default privileges cover views created by the role that ran it; grant explicitly too,
-- so the dashboard role reads these whoever applies this migration.
GRANT SELECT ON dashboard.footfall_minute, dashboard.footfall_hourly,
  dashboard.zone_occupancy_minute, dashboard.dwell_minute TO ivica_dashboard;
