package io.ivica.jobs.udf;

import java.util.HashSet;
import java.util.Set;
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
 * accumulator that Flink serializes only for checkpoints and between local and global
 * aggregation.
 */
@FunctionHint(
    accumulator = @DataTypeHint(value = "RAW", bridgedTo = TrackSet.Ids.class),
    output = @DataTypeHint(value = "ARRAY<BIGINT>", bridgedTo = ArrayData.class))
public final class TrackSet extends AggregateFunction<ArrayData, TrackSet.Ids> {

  /** The accumulator: the ids seen so far. */
  public static final class Ids {
    public Set<Long> ids = new HashSet<>();
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
