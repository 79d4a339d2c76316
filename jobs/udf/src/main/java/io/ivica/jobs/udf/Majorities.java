package io.ivica.jobs.udf;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code IVICA_MAJORITIES(balance)}: from {@code IVICA_VOTE_BALANCE}'s map, the tracks whose
 * votes were mostly male (balance above 0), mostly female (below 0), or tied (unknown).
 */
public final class Majorities extends ScalarFunction {

  public @DataTypeHint(
      value = "ROW<men BIGINT, women BIGINT, `unknown` BIGINT>",
      bridgedTo = RowData.class) RowData eval(
      @DataTypeHint(value = "MAP<BIGINT, BIGINT>", bridgedTo = MapData.class) MapData balance) {
    long men = 0;
    long women = 0;
    long unknown = 0;
    int n = balance == null ? 0 : balance.size();
    for (int i = 0; i < n; i++) {
      long votes = balance.valueArray().getLong(i);
      if (votes > 0) {
        men++;
      } else if (votes < 0) {
        women++;
      } else {
        unknown++;
      }
    }
    return GenericRowData.of(men, women, unknown);
  }
}
