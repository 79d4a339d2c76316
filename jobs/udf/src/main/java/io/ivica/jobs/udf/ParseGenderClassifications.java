package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code IVICA_PARSE_GENDER_CLASSIFICATIONS(payload)}: the record read once, as one ROW, like
 * {@link ParsePersonDetections}. Checks, in this order: an object; site_id, camera_id
 * non-empty strings; captured_at the contract's UTC time; a track_id key, an integer or null;
 * gender male or female; confidence in 0..1. Other keys are ignored.
 */
public final class ParseGenderClassifications extends ScalarFunction {

  public @DataTypeHint(
      value = "ROW<reason STRING, site_id STRING, camera_id STRING, track_id BIGINT,"
            + " gender STRING>",
      bridgedTo = RowData.class) RowData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    try {
      if (payload == null) {
        throw new Json.Invalid("invalid JSON: empty");
      }
      return new Event().read(payload.toBytes());
    } catch (Json.Invalid e) {
      return GenericRowData.of(StringData.fromString(e.getMessage()), null, null, null, null);
    } catch (IOException e) {
      return GenericRowData.of(StringData.fromString(Json.malformed(e)), null, null, null, null);
    }
  }

  /**
   * Declared non-deterministic so that the planner never copies the call: it would otherwise
   * inline it into every field access ({@code parsed.reason}, {@code parsed.site_id}, ...) and
   * into every branch of the job. The result depends on the payload alone.
   */
  @Override
  public boolean isDeterministic() {
    return false;
  }

  private static final class Event {
    String siteId;
    String cameraId;
    boolean hasCapturedAt;
    String capturedAt;
    boolean hasTrackId;
    boolean trackIdOk;
    Long trackId;
    String gender;
    boolean confidenceOk;

    RowData read(byte[] payload) throws IOException, Json.Invalid {
      try (JsonParser p = Json.openObject(payload)) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          p.nextToken();
          switch (key) {
            case "site_id": siteId = Json.string(p); break;
            case "camera_id": cameraId = Json.string(p); break;
            case "captured_at":
              hasCapturedAt = p.currentToken() != JsonToken.VALUE_NULL;
              capturedAt = Json.string(p);
              break;
            case "track_id":
              hasTrackId = true;
              trackIdOk = p.currentToken() == JsonToken.VALUE_NULL;
              trackId = trackIdOk ? null : Json.integer(p);
              trackIdOk |= trackId != null;
              break;
            case "gender": gender = Json.string(p); break;
            case "confidence": confidenceOk = Json.unitInterval(p); break;
            default: p.skipChildren();
          }
        }
        Json.end(p);
      }
      check();
      return GenericRowData.of(null, StringData.fromString(siteId),
          StringData.fromString(cameraId), trackId, StringData.fromString(gender));
    }

    private void check() throws Json.Invalid {
      if (siteId == null || siteId.isEmpty()) {
        throw new Json.Invalid("site_id: missing or not a non-empty string");
      }
      if (cameraId == null || cameraId.isEmpty()) {
        throw new Json.Invalid("camera_id: missing or not a non-empty string");
      }
      if (!hasCapturedAt) {
        throw new Json.Invalid("captured_at: missing");
      }
      if (Timestamps.parse(capturedAt) == Timestamps.INVALID) {
        throw new Json.Invalid("captured_at: not ISO-8601 UTC with milliseconds and Z");
      }
      if (!hasTrackId) {
        throw new Json.Invalid("track_id: missing (use null for untracked)");
      }
      if (!trackIdOk) {
        throw new Json.Invalid("track_id: not an int or null");
      }
      if (!"male".equals(gender) && !"female".equals(gender)) {
        throw new Json.Invalid("gender: missing or not male/female");
      }
      if (!confidenceOk) {
        throw new Json.Invalid("confidence: missing or not a number in 0..1");
      }
    }
  }
}
