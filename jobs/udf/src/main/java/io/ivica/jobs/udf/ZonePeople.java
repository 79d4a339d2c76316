package io.ivica.jobs.udf;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
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
 * listed once someone was in it. No merge: the planner aggregates in one phase (a frame's zones
 * are not kept per event, so two partial groups could not be merged without counting twice).
 */
@FunctionHint(
    accumulator = @DataTypeHint(value = "RAW", bridgedTo = ZonePeople.Acc.class,
        rawSerializer = ZonePeople.AccSerializer.class),
    output = @DataTypeHint(
        value = "ROW<frames BIGINT,"
              + " zones ARRAY<ROW<zone_id STRING, people BIGINT, max_people INT>>>",
        bridgedTo = RowData.class))
public final class ZonePeople extends AggregateFunction<RowData, ZonePeople.Acc> {

  /** The frames counted (by id, and without one), and per zone {people sum, max}. */
  public static final class Acc {
    public EventTable events = new EventTable();
    public long anonymous;
    public Map<String, long[]> zones = new HashMap<>();
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
      copy.anonymous = from.anonymous;
      from.zones.forEach((zone, sums) -> copy.zones.put(zone, sums.clone()));
      return copy;
    }

    @Override
    public void serialize(Acc acc, DataOutputView out) throws IOException {
      out.writeLong(acc.anonymous);
      out.writeInt(acc.zones.size());
      for (Map.Entry<String, long[]> zone : acc.zones.entrySet()) {
        out.writeUTF(zone.getKey()); // an id: at most 128 characters
        out.writeLong(zone.getValue()[0]);
        out.writeLong(zone.getValue()[1]);
      }
      acc.events.write(out);
    }

    @Override
    public Acc deserialize(DataInputView in) throws IOException {
      Acc acc = new Acc();
      acc.anonymous = in.readLong();
      int zones = in.readInt();
      for (int i = 0; i < zones; i++) {
        acc.zones.put(in.readUTF(), new long[] {in.readLong(), in.readLong()});
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
      @DataTypeHint(value = "MAP<STRING, INT>", bridgedTo = MapData.class) MapData zonePeople) {
    if (eventId == null) {
      acc.anonymous++;
    } else if (!acc.events.add(eventId, 0, 0)) {
      return; // a repeat
    }
    if (zonePeople == null) {
      return;
    }
    ArrayData zones = zonePeople.keyArray();
    ArrayData people = zonePeople.valueArray();
    for (int i = 0; i < zonePeople.size(); i++) {
      long[] sums = acc.zones.computeIfAbsent(zones.getString(i).toString(), z -> new long[2]);
      int n = people.getInt(i);
      sums[0] += n;
      sums[1] = Math.max(sums[1], n);
    }
  }

  @Override
  public RowData getValue(Acc acc) {
    GenericRowData[] zones = new GenericRowData[acc.zones.size()];
    int i = 0;
    for (Map.Entry<String, long[]> zone : acc.zones.entrySet()) {
      long[] sums = zone.getValue();
      zones[i++] = GenericRowData.of(
          StringData.fromString(zone.getKey()), sums[0], (int) sums[1]);
    }
    return GenericRowData.of(acc.anonymous + acc.events.size, new GenericArrayData(zones));
  }
}
