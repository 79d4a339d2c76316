package io.ivica.jobs.udf;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code IVICA_ONCE(event_id, value)}: a group's events and the sum of their values, each
 * event_id counted once, as {@code ROW<n BIGINT, total BIGINT>}. The edge delivers at least
 * once, so an event can arrive more than once, always with its event_id (docs/contract.md);
 * its repeats add nothing. Events without an event_id (older producers) count each, and so
 * does every row when the SQL passes NULL for the id (the jobs' --keep-repeats). The ids live
 * in the accumulator, which ends with its window: the state lasts no longer than the window.
 */
@FunctionHint(
    accumulator = @DataTypeHint(value = "RAW", bridgedTo = Once.Acc.class),
    output = @DataTypeHint(value = "ROW<n BIGINT, total BIGINT>", bridgedTo = RowData.class))
public final class Once extends AggregateFunction<RowData, Once.Acc> {

  /** The accumulator: the events with an id, and running totals. */
  public static final class Acc {
    public EventTable events = new EventTable();
    public long idTotal; // the sum over `events`
    public long anonymous; // events without an id
    public long anonymousTotal;
  }

  @Override
  public Acc createAccumulator() {
    return new Acc();
  }

  public void accumulate(
      Acc acc, @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData eventId,
      Integer value) {
    long v = value == null ? 0 : value;
    if (eventId == null) {
      acc.anonymous++;
      acc.anonymousTotal += v;
    } else if (acc.events.add(eventId, 0, (int) v)) {
      acc.idTotal += v;
    }
  }

  public void merge(Acc acc, Iterable<Acc> others) {
    for (Acc other : others) {
      acc.anonymous += other.anonymous;
      acc.anonymousTotal += other.anonymousTotal;
      acc.events.addAll(other.events, slot -> acc.idTotal += other.events.ints[slot]);
    }
  }

  @Override
  public RowData getValue(Acc acc) {
    return GenericRowData.of(
        acc.anonymous + acc.events.size, acc.anonymousTotal + acc.idTotal);
  }
}
