package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

/**
 * {@code IVICA_PARSE_LINE_CROSSINGS(payload)}: a line_crossings/v1 record read once, as one ROW,
 * like {@link ParsePersonDetections}, with the contract's rules exactly (the newer streams have
 * no older producers to spare). Checks, in this order: an object; no unknown key; site_id,
 * camera_id ids (strings of 1 to 128 characters); track_id an integer; line_id an id;
 * direction in or out; frame_id an integer >= 0; captured_at the contract's UTC time;
 * geometry_version an id; gender, when present, male or female; schema line_crossings/v1;
 * event_id a lower-case UUID v4. gender is NULL when the event has none.
 */
public final class ParseLineCrossings extends EventParse {

  public @DataTypeHint(
      value = "ROW<reason STRING, site_id STRING, camera_id STRING, line_id STRING,"
            + " direction STRING, gender STRING, event_id STRING>",
      bridgedTo = RowData.class) RowData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    return parse(payload);
  }

  @Override
  int arity() {
    return 7;
  }

  @Override
  Event newEvent() {
    return new Crossing();
  }

  private static final class Crossing extends Event {
    boolean hasTrackId;
    Long trackId;
    String lineId;
    String direction;
    Long frameId;
    String geometryVersion;
    boolean hasGender;
    String gender;
    String schema;

    @Override
    void field(String key, JsonParser p) throws IOException {
      switch (key) {
        case "track_id":
          hasTrackId = true;
          trackId = Json.integer(p);
          break;
        case "line_id": lineId = Json.string(p); break;
        case "direction": direction = Json.string(p); break;
        case "frame_id": frameId = Json.integer(p); break;
        case "captured_at": readCapturedAt(p); break;
        case "geometry_version": geometryVersion = Json.string(p); break;
        case "gender":
          hasGender = true;
          gender = Json.string(p);
          break;
        case "schema": schema = Json.string(p); break;
        default: unknown(key, p);
      }
    }

    @Override
    RowData row() throws Json.Invalid {
      checkNoUnknownKey();
      checkContractIds();
      if (!hasTrackId || trackId == null) {
        throw new Json.Invalid("track_id: missing or not an int");
      }
      checkId("line_id", lineId);
      if (!"in".equals(direction) && !"out".equals(direction)) {
        throw new Json.Invalid("direction: missing or not in/out");
      }
      if (frameId == null || frameId < 0) {
        throw new Json.Invalid("frame_id: missing or not an int >= 0");
      }
      checkCapturedAt();
      checkId("geometry_version", geometryVersion);
      if (hasGender && !"male".equals(gender) && !"female".equals(gender)) {
        throw new Json.Invalid("gender: not male/female");
      }
      checkSchema(schema, "line_crossings/v1");
      StringData id = requiredEventId();
      return GenericRowData.of(null, StringData.fromString(siteId),
          StringData.fromString(cameraId), StringData.fromString(lineId),
          StringData.fromString(direction), hasGender ? StringData.fromString(gender) : null, id);
    }
  }
}
