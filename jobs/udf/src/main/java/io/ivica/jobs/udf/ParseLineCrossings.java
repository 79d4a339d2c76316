package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

/**
 * {@code IVICA_PARSE_LINE_CROSSINGS(payload)}: a line_crossings/v1 record read once, as one ROW,
 * like {@link ParsePersonDetections}, with the contract's rules exactly ({@link GeometryEvent}).
 * Checks, in this order: an object; no unknown key; site_id, camera_id ids (strings of 1 to 128
 * characters); track_id an integer; line_id an id; direction in or out; frame_id an integer
 * >= 0; captured_at the contract's UTC time; geometry_version an id; gender, when present, male
 * or female; schema line_crossings/v1; event_id a lower-case UUID v4. gender is NULL when the
 * event has none.
 */
@FunctionHint(output = @DataTypeHint(
    value = "ROW<reason STRING, site_id STRING, camera_id STRING, line_id STRING,"
          + " direction STRING, gender STRING, event_id STRING, event_time TIMESTAMP(3)>",
    bridgedTo = RowData.class))
public final class ParseLineCrossings extends EventParse {

  public ParseLineCrossings() {
    super(8);
  }

  @Override
  Event newEvent() {
    return new Crossing();
  }

  private static final class Crossing extends GeometryEvent {
    String lineId;
    String direction;
    Long frameId;
    boolean hasGender;
    String gender;

    Crossing() {
      super("line_crossings/v1");
    }

    @Override
    void ownField(String key, JsonParser p) throws IOException {
      switch (key) {
        case "line_id": lineId = Json.string(p); break;
        case "direction": direction = Json.string(p); break;
        case "frame_id": frameId = Json.integer(p); break;
        case "captured_at": readCapturedAt(p); break;
        case "gender":
          hasGender = true;
          gender = Json.string(p);
          break;
        default: unknown(key, p);
      }
    }

    @Override
    GenericRowData row() throws Json.Invalid {
      checkHead();
      checkId("line_id", lineId);
      if (!"in".equals(direction) && !"out".equals(direction)) {
        throw new Json.Invalid("direction: missing or not in/out");
      }
      if (frameId == null || frameId < 0) {
        throw new Json.Invalid("frame_id: missing or not an int >= 0");
      }
      checkCapturedAt();
      checkGeometryVersion();
      if (hasGender && !"male".equals(gender) && !"female".equals(gender)) {
        throw new Json.Invalid("gender: not male/female");
      }
      StringData id = checkTail();
      return valid(StringData.fromString(siteId),
          StringData.fromString(cameraId), StringData.fromString(lineId),
          StringData.fromString(direction), hasGender ? StringData.fromString(gender) : null, id);
    }
  }
}
