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
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code IVICA_VOTE_BALANCE(event_id, track_id, vote)}: per track, the sum of its votes (+1
 * male, -1 female), as a {@code MAP<BIGINT, BIGINT>}, each event_id counted once (as {@link
 * Once} does: a repeat adds no vote; rows without an id count each); rows without a track are
 * left out. The sign of a track's balance is its majority gender, and balances add up, so a
 * coarser window gets its tracks' majorities exactly from the finer windows' maps: {@code
 * IVICA_VOTE_BALANCE(balance)} sums maps. One row per camera and window flows on, however many
 * tracks there are.
 */
@FunctionHint(
    accumulator = @DataTypeHint(
        value = "RAW", bridgedTo = VoteBalance.Balance.class,
        rawSerializer = VoteBalance.BalanceSerializer.class),
    output = @DataTypeHint(value = "MAP<BIGINT, BIGINT>", bridgedTo = MapData.class))
public final class VoteBalance extends AggregateFunction<MapData, VoteBalance.Balance> {

  /** The accumulator: the votes with an event_id (track, vote), and the balance of the rest. */
  public static final class Balance {
    public EventTable votes = new EventTable();
    public Map<Long, Long> byTrack = new HashMap<>();
  }

  /** Flink's serializer of {@link Balance} (see {@link AccumulatorSerializer}). */
  public static final class BalanceSerializer extends AccumulatorSerializer<Balance> {
    @Override
    public Balance createInstance() {
      return new Balance();
    }

    @Override
    public Balance copy(Balance from) {
      Balance copy = new Balance();
      copy.votes = from.votes.copy();
      copy.byTrack = new HashMap<>(from.byTrack);
      return copy;
    }

    @Override
    public void serialize(Balance acc, DataOutputView out) throws IOException {
      acc.votes.write(out);
      out.writeInt(acc.byTrack.size());
      for (Map.Entry<Long, Long> track : acc.byTrack.entrySet()) {
        out.writeLong(track.getKey());
        out.writeLong(track.getValue());
      }
    }

    @Override
    public Balance deserialize(DataInputView in) throws IOException {
      Balance acc = new Balance();
      acc.votes = EventTable.read(in);
      int tracks = in.readInt();
      for (int i = 0; i < tracks; i++) {
        acc.byTrack.put(in.readLong(), in.readLong());
      }
      return acc;
    }

    @Override
    public TypeSerializerSnapshot<Balance> snapshotConfiguration() {
      return new Snapshot();
    }

    /** The serializer has no settings: its snapshot is its class. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Balance> {
      public Snapshot() {
        super(BalanceSerializer::new);
      }
    }
  }

  @Override
  public Balance createAccumulator() {
    return new Balance();
  }

  public void accumulate(
      Balance acc,
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData eventId,
      Long trackId, Integer vote) {
    if (trackId == null || vote == null) {
      return;
    }
    if (eventId == null) {
      acc.byTrack.merge(trackId, (long) vote, Long::sum);
    } else {
      acc.votes.add(eventId, trackId, vote);
    }
  }

  public void accumulate(
      Balance acc,
      @DataTypeHint(value = "MAP<BIGINT, BIGINT>", bridgedTo = MapData.class) MapData balance) {
    if (balance == null) {
      return;
    }
    for (int i = 0; i < balance.size(); i++) {
      acc.byTrack.merge(balance.keyArray().getLong(i), balance.valueArray().getLong(i), Long::sum);
    }
  }

  public void merge(Balance acc, Iterable<Balance> others) {
    for (Balance other : others) {
      other.byTrack.forEach((track, votes) -> acc.byTrack.merge(track, votes, Long::sum));
      acc.votes.addAll(other.votes, slot -> { });
    }
  }

  @Override
  public MapData getValue(Balance acc) {
    Map<Long, Long> balance = new HashMap<>(acc.byTrack);
    EventTable votes = acc.votes;
    for (int slot = 0; slot < votes.capacity(); slot++) {
      if (votes.used(slot)) {
        balance.merge(votes.longs[slot], (long) votes.ints[slot], Long::sum);
      }
    }
    return new GenericMapData(balance);
  }
}
