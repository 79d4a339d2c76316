package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

/**
 * {@code IVICA_PARSE_ZONE_VISITS(payload)}: a zone_visits/v1 record read once, as one ROW, with
 * the contract's rules exactly ({@link GeometryEvent}). Checks, in this order: an object; no
 * unknown key; site_id, camera_id ids; track_id an integer; zone_id an id; entered_at and
 * exited_at the contract's UTC time, exited_at not before entered_at; dwell_s a number >= 0,
 * within 1.5 ms of exited_at - entered_at; end_reason left, lost, stream_end or shutdown;
 * geometry_version an id; schema zone_visits/v1; event_id a lower-case UUID v4.
 */
@FunctionHint(output = @DataTypeHint(
    value = "ROW<reason STRING, site_id STRING, camera_id STRING, zone_id STRING,"
          + " dwell_s DOUBLE, event_id STRING, event_time TIMESTAMP(3)>",
    bridgedTo = RowData.class))
public final class ParseZoneVisits extends EventParse {
  private static final String TIME_FORM = ": missing or not ISO-8601 UTC with milliseconds and Z";

  public ParseZoneVisits() {
    super(7);
  }

  @Override
  Event newEvent() {
    return new Visit();
  }

  private static final class Visit extends GeometryEvent {
    String zoneId;
    String enteredAt;
    String exitedAt;
    double dwell = Double.NaN;
    String endReason;

    Visit() {
      super("zone_visits/v1");
    }

    @Override
    void ownField(String key, JsonParser p) throws IOException {
      switch (key) {
        case "zone_id": zoneId = Json.string(p); break;
        case "entered_at": enteredAt = Json.string(p); break;
        case "exited_at": exitedAt = Json.string(p); break;
        case "dwell_s": dwell = Json.nonNegative(p); break;
        case "end_reason": endReason = Json.string(p); break;
        default: unknown(key, p);
      }
    }

    @Override
    String timeText() {
      return exitedAt; // a visit's event time is its end
    }

    @Override
    GenericRowData row() throws Json.Invalid {
      checkHead();
      checkId("zone_id", zoneId);
      long entered = Timestamps.parse(enteredAt);
      if (entered == Timestamps.INVALID) {
        throw new Json.Invalid("entered_at" + TIME_FORM);
      }
      long exited = Timestamps.parse(exitedAt);
      if (exited == Timestamps.INVALID) {
        throw new Json.Invalid("exited_at" + TIME_FORM);
      }
      if (exited < entered) {
        throw new Json.Invalid("exited_at: before entered_at");
      }
      if (Double.isNaN(dwell)) {
        throw new Json.Invalid("dwell_s: missing or not a number >= 0");
      }
      if (Math.abs(dwell - (exited - entered) / 1000.0) > 0.0015) {
        throw new Json.Invalid("dwell_s: not exited_at - entered_at (within 1.5 ms)");
      }
      if (!isEndReason(endReason)) {
        throw new Json.Invalid("end_reason: missing or not left/lost/stream_end/shutdown");
      }
      checkGeometryVersion();
      StringData id = checkTail();
      return valid(StringData.fromString(siteId),
          StringData.fromString(cameraId), StringData.fromString(zoneId), dwell, id);
    }

    private static boolean isEndReason(String r) {
      return "left".equals(r) || "lost".equals(r) || "stream_end".equals(r)
          || "shutdown".equals(r);
    }
  }
}
