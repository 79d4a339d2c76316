-- The stream's valid events (${events}: the parse view, jobs/sql/<stream>_parse.sql, or a
-- range replay's part of it) in ${job}'s windows, each event once. The edge delivers at least
-- once, so an event may reach the raw topic more than once (docs/contract.md, "Delivery");
-- its repeats share its event_id (copy_key, set by the parse view). All copies of an event have
-- its captured_at, so they fall into the same windows, and a window keeps the first copy.
-- Window deduplication: its state is the window's rows and ends when the window fires (the
-- watermark passes window_end), so it lives no longer than the window and the watermark delay.
-- A copy that comes after its window fired is late, and goes to the late output as any
-- late event does.
CREATE TEMPORARY VIEW ${job}_events AS
SELECT * FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end, copy_key ORDER BY event_time) AS copy
  FROM TABLE(${window_fn}(TABLE ${events}, DESCRIPTOR(event_time), ${window_intervals}))
)
WHERE copy = 1;
