package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

/**
 * {@code IVICA_PARSE_GENDER_CLASSIFICATIONS(payload)}: the record read once, as one ROW, like
 * {@link ParsePersonDetections}. Checks, in this order: an object; site_id, camera_id
 * non-empty strings; captured_at the contract's UTC time; a track_id key, an integer or null;
 * gender male or female; confidence in 0..1; event_id, when present, a lower-case UUID v4.
 * Other keys are ignored.
 */
@FunctionHint(output = @DataTypeHint(
    value = "ROW<reason STRING, site_id STRING, camera_id STRING, track_id BIGINT,"
          + " gender STRING, event_id STRING, event_time TIMESTAMP(3)>",
    bridgedTo = RowData.class))
public final class ParseGenderClassifications extends EventParse {

  public ParseGenderClassifications() {
    super(7);
  }

  @Override
  Event newEvent() {
    return new Classification();
  }

  private static final class Classification extends Event {
    final Track track = new Track();
    String gender;
    boolean confidenceOk;

    @Override
    void field(String key, JsonParser p) throws IOException {
      switch (key) {
        case "track_id": track.read(p); break;
        case "gender": gender = Json.string(p); break;
        case "captured_at": readCapturedAt(p); break;
        case "confidence": confidenceOk = Json.unitInterval(p); break;
        default: unknown(key, p);
      }
    }

    @Override
    GenericRowData row() throws Json.Invalid {
      checkIds();
      checkCapturedAt();
      if (!track.present) {
        throw new Json.Invalid("track_id: missing (use null for untracked)");
      }
      if (!track.ok) {
        throw new Json.Invalid("track_id: not an int or null");
      }
      if (!"male".equals(gender) && !"female".equals(gender)) {
        throw new Json.Invalid("gender: missing or not male/female");
      }
      if (!confidenceOk) {
        throw new Json.Invalid("confidence: missing or not a number in 0..1");
      }
      StringData id = checkedEventId();
      return valid(StringData.fromString(siteId),
          StringData.fromString(cameraId), track.id, StringData.fromString(gender), id);
    }
  }
}
