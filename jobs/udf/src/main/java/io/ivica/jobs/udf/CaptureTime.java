package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code IVICA_CAPTURE_TIME(payload)}: the event time of a raw event, its top-level
 * {@code captured_at}, or NULL when the payload is not an object or the time breaks the
 * contract (the same rule as the parse functions, so a record the parser rejects for its time
 * never moves the watermark). Used in the raw tables' computed column, below the watermark.
 * {@link ExitTime} reads another key of the same form.
 *
 * <p>The source calls it twice a record: in the watermark generator pushed into it, and for the
 * row's event_time. The last payload (its bytes) and its time are kept per thread, so the
 * second call reads no JSON: a result for the same bytes and key, so exact.
 */
public class CaptureTime extends ScalarFunction {
  private static final ThreadLocal<Last> LAST = ThreadLocal.withInitial(Last::new);
  private final String key;

  /** The last payload read on this thread, its key and its time. */
  private static final class Last {
    byte[] payload = new byte[0];
    String key;
    TimestampData time;
  }

  public CaptureTime() {
    this("captured_at");
  }

  /** The event time from the top-level `key` (a time in the contract's form). */
  CaptureTime(String key) {
    this.key = key;
  }

  public final @DataTypeHint(value = "TIMESTAMP(3)", bridgedTo = TimestampData.class)
      TimestampData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    if (payload == null) {
      return null;
    }
    byte[] bytes = payload.toBytes();
    Last last = LAST.get();
    if (last.key == key && Arrays.equals(last.payload, bytes)) {
      return last.time;
    }
    last.payload = bytes.clone(); // toBytes may hand out the row's own array
    last.key = key;
    last.time = read(bytes);
    return last.time;
  }

  private TimestampData read(byte[] payload) {
    String text = null;
    try (JsonParser p = Json.openObject(payload)) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean ours = key.equals(p.currentName());
        p.nextToken();
        if (ours) {
          text = Json.string(p);
        } else {
          p.skipChildren();
        }
      }
      Json.end(p);
    } catch (IOException | Json.Invalid e) {
      return null;
    }
    long millis = Timestamps.parse(text);
    return millis == Timestamps.INVALID ? null : TimestampData.fromEpochMillis(millis);
  }
}
