-- ${events} in ${job}'s windows, every copy counted: the job's `deduplicate: false`
-- (--keep-repeats). The default drops repeats instead (jobs/sql/deduplicate.sql).
CREATE TEMPORARY VIEW ${job}_events AS
SELECT * FROM TABLE(${window_fn}(TABLE ${events}, DESCRIPTOR(event_time), ${window_intervals}));
