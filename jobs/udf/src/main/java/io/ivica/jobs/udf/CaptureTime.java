package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code IVICA_CAPTURE_TIME(payload)}: the event time of a raw event, its top-level
 * {@code captured_at}, or NULL when the payload is not an object or the time breaks the
 * contract (the same rule as the parse functions, so a record the parser rejects for its time
 * never moves the watermark). The jobs take their event time from their parse function
 * ({@link EventParse}: the record is read once); this reads the time alone, for the
 * benchmark's pass-through (bench/passthrough_job.py), which parses nothing else.
 * {@link ExitTime} reads another key of the same form.
 */
public class CaptureTime extends ScalarFunction {
  private final String key;

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
    return payload == null ? null : read(payload.toBytes());
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
