package io.ivica.jobs.udf;

import java.io.IOException;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code IVICA_FOOTFALL(event_id, direction, gender)}: a group's line crossings, each event_id
 * once, by direction and gender: {@code ROW<people_in, people_out, in_male, in_female, out_male,
 * out_female>} (a crossing without a gender counts only in its direction's total). One id table
 * for the six counts: each crossing keeps its kind (direction and gender) there, so two partial
 * groups that both saw a crossing merge without counting it twice. Crossings without an id
 * (the jobs' --keep-repeats passes NULL) count each.
 */
@FunctionHint(
    accumulator = @DataTypeHint(value = "RAW", bridgedTo = Footfall.Acc.class,
        rawSerializer = Footfall.AccSerializer.class),
    output = @DataTypeHint(
        value = "ROW<people_in BIGINT, people_out BIGINT, in_male BIGINT, in_female BIGINT,"
              + " out_male BIGINT, out_female BIGINT>",
        bridgedTo = RowData.class))
public final class Footfall extends AggregateFunction<RowData, Footfall.Acc> {
  // A crossing's kind: 3 * direction (in 0, out 1) + gender (male 0, female 1, none 2).
  private static final int KINDS = 6;

  /** The crossings with an id (their kind in the table's int), and counts per kind. */
  public static final class Acc {
    public EventTable events = new EventTable();
    public long[] counted = new long[KINDS]; // every crossing counted, with an id or not
    public long[] anonymous = new long[KINDS]; // those without an id
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
      copy.counted = from.counted.clone();
      copy.anonymous = from.anonymous.clone();
      return copy;
    }

    @Override
    public void serialize(Acc acc, DataOutputView out) throws IOException {
      for (int kind = 0; kind < KINDS; kind++) {
        out.writeLong(acc.counted[kind]);
        out.writeLong(acc.anonymous[kind]);
      }
      acc.events.write(out);
    }

    @Override
    public Acc deserialize(DataInputView in) throws IOException {
      Acc acc = new Acc();
      for (int kind = 0; kind < KINDS; kind++) {
        acc.counted[kind] = in.readLong();
        acc.anonymous[kind] = in.readLong();
      }
      acc.events = EventTable.read(in);
      return acc;
    }
  }

  @Override
  public Acc createAccumulator() {
    return new Acc();
  }

  public void accumulate(
      Acc acc, @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData eventId,
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData direction,
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData gender) {
    int kind = kind(direction, gender);
    if (eventId == null) {
      acc.anonymous[kind]++;
      acc.counted[kind]++;
    } else if (acc.events.add(eventId, 0, kind)) {
      acc.counted[kind]++;
    }
  }

  public void merge(Acc acc, Iterable<Acc> others) {
    for (Acc other : others) {
      for (int kind = 0; kind < KINDS; kind++) {
        acc.anonymous[kind] += other.anonymous[kind];
        acc.counted[kind] += other.anonymous[kind];
      }
      acc.events.addAll(other.events, slot -> acc.counted[other.events.ints[slot]]++);
    }
  }

  @Override
  public RowData getValue(Acc acc) {
    long[] c = acc.counted;
    return GenericRowData.of(c[0] + c[1] + c[2], c[3] + c[4] + c[5], c[0], c[1], c[3], c[4]);
  }

  /** The kind of a valid crossing (direction in or out, gender male, female or NULL). */
  private static int kind(StringData direction, StringData gender) {
    int g = gender == null ? 2 : isFirstLetter(gender, 'm') ? 0 : 1;
    return (isFirstLetter(direction, 'i') ? 0 : 3) + g;
  }

  private static boolean isFirstLetter(StringData s, char c) {
    return s.toBytes()[0] == c;
  }
}
