package io.ivica.jobs.udf;

import java.io.IOException;
import java.util.Arrays;
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
 * {@code IVICA_DWELL(event_id, dwell_s)}: a group's visits, each event_id once, and their dwell
 * times: {@code ROW<visits, avg_s, max_s, p50_s, p90_s>}. The percentiles are exact over the
 * group's visits, linear between the two nearest ranks (PostgreSQL's percentile_cont, numpy's
 * default): the q-th of n sorted values is at position q * (n - 1). Every visit's dwell time is
 * kept (in {@link EventTable}, by id) until the window ends: 28 bytes a visit, and a window
 * holds the visits of one zone and minute.
 */
@FunctionHint(
    accumulator = @DataTypeHint(
        value = "RAW", bridgedTo = Dwell.Acc.class, rawSerializer = Dwell.AccSerializer.class),
    output = @DataTypeHint(
        value = "ROW<visits BIGINT, avg_s DOUBLE, max_s DOUBLE, p50_s DOUBLE, p90_s DOUBLE>",
        bridgedTo = RowData.class))
public final class Dwell extends AggregateFunction<RowData, Dwell.Acc> {

  /** The visits with an id (dwell time as the bits of a double), and those without. */
  public static final class Acc {
    public EventTable events = new EventTable();
    public double[] anonymous = new double[0];
    public int anonymousSize;

    void addAnonymous(double v) {
      if (anonymousSize == anonymous.length) {
        anonymous = Arrays.copyOf(anonymous, Math.max(8, 2 * anonymousSize));
      }
      anonymous[anonymousSize++] = v;
    }
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
      copy.anonymous = Arrays.copyOf(from.anonymous, from.anonymousSize);
      copy.anonymousSize = from.anonymousSize;
      return copy;
    }

    @Override
    public void serialize(Acc acc, DataOutputView out) throws IOException {
      out.writeInt(acc.anonymousSize);
      for (int i = 0; i < acc.anonymousSize; i++) {
        out.writeDouble(acc.anonymous[i]);
      }
      acc.events.write(out);
    }

    @Override
    public Acc deserialize(DataInputView in) throws IOException {
      Acc acc = new Acc();
      acc.anonymousSize = in.readInt();
      acc.anonymous = new double[acc.anonymousSize];
      for (int i = 0; i < acc.anonymousSize; i++) {
        acc.anonymous[i] = in.readDouble();
      }
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
      Double dwellS) {
    if (dwellS == null) {
      return;
    }
    if (eventId == null) {
      acc.addAnonymous(dwellS);
    } else {
      acc.events.add(eventId, Double.doubleToRawLongBits(dwellS), 0);
    }
  }

  public void merge(Acc acc, Iterable<Acc> others) {
    for (Acc other : others) {
      for (int i = 0; i < other.anonymousSize; i++) {
        acc.addAnonymous(other.anonymous[i]);
      }
      acc.events.addAll(other.events, slot -> { });
    }
  }

  @Override
  public RowData getValue(Acc acc) {
    int n = acc.anonymousSize + acc.events.size;
    if (n == 0) {
      return GenericRowData.of(0L, null, null, null, null);
    }
    double[] values = Arrays.copyOf(acc.anonymous, n);
    int i = acc.anonymousSize;
    for (int slot = 0; slot < acc.events.capacity(); slot++) {
      if (acc.events.used(slot)) {
        values[i++] = Double.longBitsToDouble(acc.events.longs[slot]);
      }
    }
    Arrays.sort(values);
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return GenericRowData.of((long) n, sum / n, values[n - 1], percentile(values, 0.5),
        percentile(values, 0.9));
  }

  /** The q-th percentile of sorted values, linear between the two nearest ranks. */
  static double percentile(double[] sorted, double q) {
    double position = q * (sorted.length - 1);
    int below = (int) Math.floor(position);
    if (below + 1 >= sorted.length) {
      return sorted[sorted.length - 1];
    }
    double fraction = position - below;
    return sorted[below] + (sorted[below + 1] - sorted[below]) * fraction;
  }
}
