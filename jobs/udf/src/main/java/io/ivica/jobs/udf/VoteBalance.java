package io.ivica.jobs.udf;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code IVICA_VOTE_BALANCE(track_id, vote)}: per track, the sum of its votes (+1 male, -1
 * female), as a {@code MAP<BIGINT, BIGINT>}; rows without a track are left out. The sign of a
 * track's balance is its majority gender, and balances add up, so a coarser window gets its
 * tracks' majorities exactly from the finer windows' maps: {@code IVICA_VOTE_BALANCE(balance)}
 * sums maps. One row per camera and window flows on, however many tracks there are.
 */
@FunctionHint(
    accumulator = @DataTypeHint(value = "RAW", bridgedTo = VoteBalance.Balance.class),
    output = @DataTypeHint(value = "MAP<BIGINT, BIGINT>", bridgedTo = MapData.class))
public final class VoteBalance extends AggregateFunction<MapData, VoteBalance.Balance> {

  /** The accumulator: each track's balance so far. */
  public static final class Balance {
    public Map<Long, Long> byTrack = new HashMap<>();
  }

  @Override
  public Balance createAccumulator() {
    return new Balance();
  }

  public void accumulate(Balance acc, Long trackId, Integer vote) {
    if (trackId != null && vote != null) {
      acc.byTrack.merge(trackId, (long) vote, Long::sum);
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
    }
  }

  @Override
  public MapData getValue(Balance acc) {
    return new GenericMapData(new HashMap<>(acc.byTrack));
  }
}
