package io.ivica.jobs.udf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code IVICA_ZONE_PEOPLE(event_id, zone_people)}: a camera's frames in a group, each event_id
 * once, and per zone the sum and the largest number of its people over those frames:
 * {@code ROW<frames, zones ARRAY<ROW<zone_id, people, max_people>>>}. `zone_people` is a frame's
 * people per zone (IVICA_PARSE_PERSON_DETECTIONS), NULL when no one is in a zone; such a frame
 * still counts in `frames`, so zone_occupancy's mean counts it as 0 in every zone. A zone is
 * listed once someone was in it. Each frame with an id keeps its own (zone, people) pairs, so
 * two partial groups that both saw a frame merge without counting it twice: the planner can
 * aggregate in two phases (a row per camera and window crosses the exchange, not every frame).
 */
@FunctionHint(
    accumulator = @DataTypeHint(value = "RAW", bridgedTo = ZonePeople.Acc.class,
        rawSerializer = ZonePeople.AccSerializer.class),
    output = @DataTypeHint(
        value = "ROW<frames BIGINT,"
              + " zones ARRAY<ROW<zone_id STRING, people BIGINT, max_people INT>>>",
        bridgedTo = RowData.class))
public final class ZonePeople extends AggregateFunction<RowData, ZonePeople.Acc> {
  private static final int PEOPLE = 0; // every counted frame's people in the zone
  private static final int MAX = 1;
  private static final int ANONYMOUS = 2; // the people of the frames without an id

  /**
   * The frames with an id (in the table: where their pairs start in `pairs`, and how many),
   * the frames without one, and per zone (by index) {people, max, anonymous people}.
   */
  public static final class Acc {
    public EventTable events = new EventTable();
    public int[] pairs = new int[0]; // (zone index, people) of each frame with an id
    public int pairsSize;
    public long anonymous;
    public List<String> zoneIds = new ArrayList<>();
    public List<long[]> zones = new ArrayList<>();
    private final Map<String, Integer> index = new HashMap<>();

    int zone(String zoneId) {
      Integer i = index.get(zoneId);
      if (i == null) {
        i = zoneIds.size();
        index.put(zoneId, i);
        zoneIds.add(zoneId);
        zones.add(new long[3]);
      }
      return i;
    }

    void addPair(int zone, int people) {
      if (pairsSize + 2 > pairs.length) {
        pairs = Arrays.copyOf(pairs, Math.max(16, 2 * pairs.length));
      }
      pairs[pairsSize++] = zone;
      pairs[pairsSize++] = people;
    }

    /** Counts `people` in the zone; `anonymous` when the frame has no id. */
    void count(int zone, long people, boolean anonymousFrame) {
      long[] sums = zones.get(zone);
      sums[PEOPLE] += people;
      sums[MAX] = Math.max(sums[MAX], people);
      if (anonymousFrame) {
        sums[ANONYMOUS] += people;
      }
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
      copy.pairs = Arrays.copyOf(from.pairs, from.pairsSize);
      copy.pairsSize = from.pairsSize;
      copy.anonymous = from.anonymous;
      for (int z = 0; z < from.zoneIds.size(); z++) {
        copy.zone(from.zoneIds.get(z));
        copy.zones.set(z, from.zones.get(z).clone());
      }
      return copy;
    }

    @Override
    public void serialize(Acc acc, DataOutputView out) throws IOException {
      out.writeLong(acc.anonymous);
      out.writeInt(acc.zoneIds.size());
      for (int z = 0; z < acc.zoneIds.size(); z++) {
        out.writeUTF(acc.zoneIds.get(z)); // an id: at most 128 characters
        for (long v : acc.zones.get(z)) {
          out.writeLong(v);
        }
      }
      out.writeInt(acc.pairsSize);
      ByteBuffer bytes = ByteBuffer.allocate(acc.pairsSize * Integer.BYTES);
      bytes.asIntBuffer().put(acc.pairs, 0, acc.pairsSize);
      out.write(bytes.array());
      acc.events.write(out);
    }

    @Override
    public Acc deserialize(DataInputView in) throws IOException {
      Acc acc = new Acc();
      acc.anonymous = in.readLong();
      int zones = in.readInt();
      for (int z = 0; z < zones; z++) {
        long[] sums = acc.zones.get(acc.zone(in.readUTF()));
        for (int i = 0; i < sums.length; i++) {
          sums[i] = in.readLong();
        }
      }
      acc.pairsSize = in.readInt();
      byte[] bytes = new byte[acc.pairsSize * Integer.BYTES];
      in.readFully(bytes);
      acc.pairs = new int[acc.pairsSize];
      ByteBuffer.wrap(bytes).asIntBuffer().get(acc.pairs);
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
      @DataTypeHint(value = "MAP<STRING, INT>", bridgedTo = MapData.class) MapData zonePeople) {
    int n = zonePeople == null ? 0 : zonePeople.size();
    if (eventId == null) {
      acc.anonymous++;
    } else if (!acc.events.add(eventId, acc.pairsSize, n)) {
      return; // a repeat
    }
    if (n == 0) {
      return;
    }
    ArrayData zoneIds = zonePeople.keyArray();
    ArrayData people = zonePeople.valueArray();
    for (int i = 0; i < n; i++) {
      int zone = acc.zone(zoneIds.getString(i).toString());
      acc.count(zone, people.getInt(i), eventId == null);
      if (eventId != null) {
        acc.addPair(zone, people.getInt(i));
      }
    }
  }

  public void merge(Acc acc, Iterable<Acc> others) {
    for (Acc other : others) {
      acc.anonymous += other.anonymous;
      int[] zones = new int[other.zoneIds.size()]; // other's zone index -> acc's
      for (int z = 0; z < zones.length; z++) {
        zones[z] = acc.zone(other.zoneIds.get(z));
        long[] mine = acc.zones.get(zones[z]);
        long[] theirs = other.zones.get(z);
        mine[PEOPLE] += theirs[ANONYMOUS];
        mine[ANONYMOUS] += theirs[ANONYMOUS];
        mine[MAX] = Math.max(mine[MAX], theirs[MAX]); // a repeat has the same people
      }
      EventTable events = other.events;
      for (int slot = 0; slot < events.capacity(); slot++) {
        if (events.used(slot) && acc.events.add(events.ids[2 * slot],
            events.ids[2 * slot + 1], acc.pairsSize, events.ints[slot])) {
          int from = (int) events.longs[slot];
          for (int p = from; p < from + 2 * events.ints[slot]; p += 2) {
            int zone = zones[other.pairs[p]];
            acc.zones.get(zone)[PEOPLE] += other.pairs[p + 1];
            acc.addPair(zone, other.pairs[p + 1]);
          }
        }
      }
    }
  }

  @Override
  public RowData getValue(Acc acc) {
    GenericRowData[] zones = new GenericRowData[acc.zoneIds.size()];
    for (int z = 0; z < zones.length; z++) {
      long[] sums = acc.zones.get(z);
      zones[z] = GenericRowData.of(
          StringData.fromString(acc.zoneIds.get(z)), sums[PEOPLE], (int) sums[MAX]);
    }
    return GenericRowData.of(acc.anonymous + acc.events.size, new GenericArrayData(zones));
  }
}
