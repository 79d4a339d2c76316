package io.ivica.jobs.udf;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code IVICA_TRACK_SET(track_ids)}: the distinct non-null track ids of a group's
 * {@code ARRAY<BIGINT>} values, as an array (in no particular order). It takes arrays, so a
 * window counts the tracks of its frames without one row per detection, and a coarser window
 * unions the sets of the finer windows inside it. The set lives in memory, in a RAW
 * accumulator that Flink serializes (with {@link IdsSerializer}) only for checkpoints and
 * between local and global aggregation.
 */
@FunctionHint(
    accumulator = @DataTypeHint(
        value = "RAW", bridgedTo = TrackSet.Ids.class, rawSerializer = TrackSet.IdsSerializer.class),
    output = @DataTypeHint(value = "ARRAY<BIGINT>", bridgedTo = ArrayData.class))
public final class TrackSet extends AggregateFunction<ArrayData, TrackSet.Ids> {

  /** The accumulator: the ids seen so far. */
  public static final class Ids {
    public Set<Long> ids = new HashSet<>();
  }

  /** Flink's serializer of {@link Ids} (see {@link AccumulatorSerializer}). */
  public static final class IdsSerializer extends AccumulatorSerializer<Ids> {
    @Override
    public Ids createInstance() {
      return new Ids();
    }

    @Override
    public Ids copy(Ids from) {
      Ids copy = new Ids();
      copy.ids = new HashSet<>(from.ids);
      return copy;
    }

    @Override
    public void serialize(Ids acc, DataOutputView out) throws IOException {
      out.writeInt(acc.ids.size());
      for (long id : acc.ids) {
        out.writeLong(id);
      }
    }

    @Override
    public Ids deserialize(DataInputView in) throws IOException {
      Ids acc = new Ids();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        acc.ids.add(in.readLong());
      }
      return acc;
    }

    @Override
    public TypeSerializerSnapshot<Ids> snapshotConfiguration() {
      return new Snapshot();
    }

    /** The serializer has no settings: its snapshot is its class. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Ids> {
      public Snapshot() {
        super(IdsSerializer::new);
      }
    }
  }

  @Override
  public Ids createAccumulator() {
    return new Ids();
  }

  public void accumulate(
      Ids acc, @DataTypeHint(value = "ARRAY<BIGINT>", bridgedTo = ArrayData.class) ArrayData ids) {
    if (ids == null) {
      return;
    }
    for (int i = 0; i < ids.size(); i++) {
      if (!ids.isNullAt(i)) {
        acc.ids.add(ids.getLong(i));
      }
    }
  }

  public void merge(Ids acc, Iterable<Ids> others) {
    for (Ids other : others) {
      acc.ids.addAll(other.ids);
    }
  }

  @Override
  public ArrayData getValue(Ids acc) {
    return new GenericArrayData(acc.ids.toArray(new Long[0]));
  }
}
