package io.ivica.jobs.udf;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
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
    accumulator = @DataTypeHint(
        value = "RAW", bridgedTo = Once.Acc.class, rawSerializer = Once.AccSerializer.class),
    output = @DataTypeHint(value = "ROW<n BIGINT, total BIGINT>", bridgedTo = RowData.class))
public final class Once extends AggregateFunction<RowData, Once.Acc> {

  /** The accumulator: the events with an id, and running totals. */
  public static final class Acc {
    public EventTable events = new EventTable();
    public long idTotal; // the sum over `events`
    public long anonymous; // events without an id
    public long anonymousTotal;
  }

  /** Flink's serializer of {@link Acc} (see {@link AccumulatorSerializer}). */
  public static final class AccSerializer extends AccumulatorSerializer<Acc> {
    @Override
    public Acc createInstance() {
      return new Acc();
    }

    @Override
    public Acc copy(Acc from) {
      Acc copy = new Acc();
      copy.events = from.events.copy();
      copy.idTotal = from.idTotal;
      copy.anonymous = from.anonymous;
      copy.anonymousTotal = from.anonymousTotal;
      return copy;
    }

    @Override
    public void serialize(Acc acc, DataOutputView out) throws IOException {
      out.writeLong(acc.idTotal);
      out.writeLong(acc.anonymous);
      out.writeLong(acc.anonymousTotal);
      acc.events.write(out);
    }

    @Override
    public Acc deserialize(DataInputView in) throws IOException {
      Acc acc = new Acc();
      acc.idTotal = in.readLong();
      acc.anonymous = in.readLong();
      acc.anonymousTotal = in.readLong();
      acc.events = EventTable.read(in);
      return acc;
    }

    @Override
    public TypeSerializerSnapshot<Acc> snapshotConfiguration() {
      return new Snapshot();
    }

    /** The serializer has no settings: its snapshot is its class. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Acc> {
      public Snapshot() {
        super(AccSerializer::new);
      }
    }
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
