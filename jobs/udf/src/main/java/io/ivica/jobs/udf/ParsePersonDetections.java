package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

/**
 * {@code IVICA_PARSE_PERSON_DETECTIONS(payload)}: the record read once, as one ROW. A valid
 * record gives its typed fields and a NULL reason; an invalid one gives only the reason
 * (docs/jobs.md lists them). Checks, in this order: an object; site_id, camera_id non-empty
 * strings; frame_id an integer >= 0; people_count an integer in 0..2^31-1; captured_at the
 * contract's UTC time; detections a list of objects, each with a track_id key (integer or
 * null), a score in 0..1, a bbox of 4 numbers and, when present, zones: at most 64 distinct
 * ids of 1 to 128 characters; event_id, when present, a lower-case UUID v4. Other keys are
 * ignored. zone_people is, per zone, the frame's detections in it (NULL when no detection
 * names a zone).
 */
@FunctionHint(output = @DataTypeHint(
    value = "ROW<reason STRING, site_id STRING, camera_id STRING, frame_id BIGINT,"
          + " people_count INT, track_ids ARRAY<BIGINT>, event_id STRING,"
          + " zone_people MAP<STRING, INT>, event_time TIMESTAMP(3)>",
    bridgedTo = RowData.class))
public final class ParsePersonDetections extends EventParse {

  public ParsePersonDetections() {
    super(9);
  }

  @Override
  Event newEvent() {
    return new Frame();
  }

  private static final class Frame extends Event {
    Long frameId;
    Long peopleCount;
    boolean hasDetections;
    Detections detections;

    @Override
    void field(String key, JsonParser p) throws IOException {
      switch (key) {
        case "frame_id": frameId = Json.integer(p); break;
        case "people_count": peopleCount = Json.integer(p); break;
        case "captured_at": readCapturedAt(p); break;
        case "detections":
          hasDetections = true;
          detections = Detections.read(p);
          break;
        default: unknown(key, p);
      }
    }

    @Override
    GenericRowData row() throws Json.Invalid {
      checkIds();
      if (frameId == null || frameId < 0) {
        throw new Json.Invalid("frame_id: missing or not an int >= 0");
      }
      if (peopleCount != null && peopleCount < 0) {
        throw new Json.Invalid("people_count: negative");
      }
      if (peopleCount == null || peopleCount > Integer.MAX_VALUE) {
        throw new Json.Invalid("people_count: missing or not an int (at most 2147483647)");
      }
      checkCapturedAt();
      if (!hasDetections || detections == null) {
        throw new Json.Invalid("detections: missing or not a list");
      }
      detections.check();
      StringData id = checkedEventId();
      return valid(StringData.fromString(siteId),
          StringData.fromString(cameraId), frameId, (int) (long) peopleCount,
          new GenericArrayData(detections.trackIds.toArray()), id, detections.zonePeople());
    }
  }

  /** The detections list: every item is read, then the first broken rule names the reason. */
  private static final class Detections {
    final List<Long> trackIds = new ArrayList<>();
    Map<StringData, Integer> zonePeople; // null until a detection names a zone
    boolean notObject;
    boolean badTrackId;
    boolean badScore;
    boolean badBox;
    boolean badZones;

    /** The list, or null when the value is not a list (it is skipped). */
    static Detections read(JsonParser p) throws IOException {
      if (p.currentToken() != JsonToken.START_ARRAY) {
        p.skipChildren();
        return null;
      }
      Detections d = new Detections();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        d.item(p);
      }
      return d;
    }

    private void item(JsonParser p) throws IOException {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        p.skipChildren();
        notObject = true;
        return;
      }
      Event.Track track = new Event.Track();
      boolean scoreOk = false;
      boolean boxOk = false;
      List<String> zones = null; // absent: the camera has no zones
      boolean zonesOk = true;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        switch (key) {
          case "track_id": track.read(p); break;
          case "score": scoreOk = Json.unitInterval(p); break;
          case "bbox": boxOk = Json.box(p); break;
          case "zones":
            zones = new ArrayList<>();
            zonesOk = Json.zones(p, zones);
            break;
          default: p.skipChildren();
        }
      }
      badTrackId |= !(track.present && track.ok);
      badScore |= !scoreOk;
      badBox |= !boxOk;
      badZones |= !zonesOk;
      trackIds.add(track.id);
      if (zonesOk && zones != null) {
        for (String zone : zones) {
          if (zonePeople == null) {
            zonePeople = new HashMap<>();
          }
          zonePeople.merge(StringData.fromString(zone), 1, Integer::sum);
        }
      }
    }

    MapData zonePeople() {
      return zonePeople == null ? null : new GenericMapData(zonePeople);
    }

    void check() throws Json.Invalid {
      if (notObject) {
        throw new Json.Invalid("detections: an item is not an object");
      }
      if (badTrackId) {
        throw new Json.Invalid("detections: track_id missing, or not an int or null");
      }
      if (badScore) {
        throw new Json.Invalid("detections: score missing, or not a number in 0..1");
      }
      if (badBox) {
        throw new Json.Invalid("detections: bbox missing, or not 4 numbers");
      }
      if (badZones) {
        throw new Json.Invalid(
            "detections: zones not a list of at most 64 distinct strings of 1 to 128 characters");
      }
    }
  }
}
