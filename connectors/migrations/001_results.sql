-- Result tables, one per job output topic. The natural key (camera_id, window_start,
-- window_end) is the primary key: the Kafka Connect JDBC sink upserts on it, so late
-- updates, replays and backfills overwrite rows instead of duplicating them.
-- Its index also serves lookups by (camera_id, window_start).
CREATE SCHEMA IF NOT EXISTS ivica;

CREATE TABLE ivica.people_counter (
  site_id        text             NOT NULL,
  camera_id      text             NOT NULL,
  window_start   timestamptz      NOT NULL,
  window_end     timestamptz      NOT NULL,
  avg_people     double precision NOT NULL,
  max_people     integer          NOT NULL,
  min_people     integer          NOT NULL,
  frames         bigint           NOT NULL,
  unique_people  bigint           NOT NULL,
  PRIMARY KEY (camera_id, window_start, window_end)
);
CREATE TABLE ivica.people_counter_sliding (LIKE ivica.people_counter INCLUDING ALL);

-- people_counter run with --window 3600 (jobs/people_counter_hourly.py): exact unique people
-- per hour, which per-minute counts cannot give.
CREATE TABLE ivica.people_counter_hourly (LIKE ivica.people_counter INCLUDING ALL);

CREATE TABLE ivica.gender_counter (
  site_id       text        NOT NULL,
  camera_id     text        NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  men           bigint      NOT NULL,
  women         bigint      NOT NULL,
  unknown       bigint      NOT NULL,
  PRIMARY KEY (camera_id, window_start, window_end)
);
CREATE TABLE ivica.gender_counter_sliding (LIKE ivica.gender_counter INCLUDING ALL);

CREATE INDEX people_counter_camera_start ON ivica.people_counter (camera_id, window_start);
CREATE INDEX people_counter_sliding_camera_start ON ivica.people_counter_sliding (camera_id, window_start);
CREATE INDEX people_counter_hourly_camera_start ON ivica.people_counter_hourly (camera_id, window_start);
CREATE INDEX gender_counter_camera_start ON ivica.gender_counter (camera_id, window_start);
CREATE INDEX gender_counter_sliding_camera_start ON ivica.gender_counter_sliding (camera_id, window_start);
CREATE INDEX people_counter_site_start ON ivica.people_counter (site_id, window_start);
CREATE INDEX gender_counter_site_start ON ivica.gender_counter (site_id, window_start);

-- Side outputs of the jobs, for the data-health panel. Their key is the Kafka coordinates
-- (the JDBC sink's primary.key.mode=kafka), so a redelivered record overwrites itself.
-- received_at is filled by the database when the row lands.
CREATE TABLE ivica.dead_letters (
  __connect_topic      text        NOT NULL,
  __connect_partition  integer     NOT NULL,
  __connect_offset     bigint      NOT NULL,
  job                  text        NOT NULL,
  reason               text        NOT NULL,
  payload              text,
  received_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (__connect_topic, __connect_partition, __connect_offset)
);

CREATE TABLE ivica.late_events (
  __connect_topic      text        NOT NULL,
  __connect_partition  integer     NOT NULL,
  __connect_offset     bigint      NOT NULL,
  job                  text        NOT NULL,
  camera_id            text        NOT NULL,
  event_time           timestamptz NOT NULL,
  watermark_at         timestamptz NOT NULL,
  payload              text,
  received_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (__connect_topic, __connect_partition, __connect_offset)
);
CREATE INDEX late_events_camera_time ON ivica.late_events (camera_id, event_time);
CREATE INDEX dead_letters_received ON ivica.dead_letters (received_at);
