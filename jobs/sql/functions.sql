-- The jobs' Java functions (jobs/udf, built into infra/lib/flink/ivica-jobs-udf.jar by
-- `ivica stack fetch`). Each reads a record's JSON once, with the contract's rules; the SQL
-- functions (JSON_VALUE, JSON_QUERY, IS JSON) parse the whole record again on every call.
--   IVICA_CAPTURE_TIME(payload)      TIMESTAMP(3): captured_at, NULL when not the contract's
--   IVICA_PARSE_PERSON_DETECTIONS(payload), IVICA_PARSE_GENDER_CLASSIFICATIONS(payload)
--                                    one ROW: reason (NULL when valid) and the typed fields
-- The raw tables call them in computed columns (jobs/tables.py), so a record is read once.
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS IVICA_CAPTURE_TIME
  AS 'io.ivica.jobs.udf.CaptureTime' LANGUAGE JAVA;
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS IVICA_PARSE_PERSON_DETECTIONS
  AS 'io.ivica.jobs.udf.ParsePersonDetections' LANGUAGE JAVA;
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS IVICA_PARSE_GENDER_CLASSIFICATIONS
  AS 'io.ivica.jobs.udf.ParseGenderClassifications' LANGUAGE JAVA;
-- IVICA_TRACK_SET(track_ids): aggregate, the distinct non-null ids of a group's arrays.
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS IVICA_TRACK_SET
  AS 'io.ivica.jobs.udf.TrackSet' LANGUAGE JAVA;
-- IVICA_ONCE(event_id, value): aggregate, ROW<n, total>: the group's events and the sum of
-- value over them, each event_id once (a repeat of at-least-once delivery adds nothing; rows
-- without an id count each).
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS IVICA_ONCE
  AS 'io.ivica.jobs.udf.Once' LANGUAGE JAVA;
-- IVICA_VOTE_BALANCE(event_id, track_id, vote) or (balance): aggregate, per track the sum of
-- its votes (+1 male, -1 female), each event_id once, MAP<BIGINT, BIGINT>; given maps, it sums
-- them (for rollups).
-- IVICA_MAJORITIES(balance): ROW<men, women, unknown>, the tracks by the sign of their balance.
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS IVICA_VOTE_BALANCE
  AS 'io.ivica.jobs.udf.VoteBalance' LANGUAGE JAVA;
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS IVICA_MAJORITIES
  AS 'io.ivica.jobs.udf.Majorities' LANGUAGE JAVA;
