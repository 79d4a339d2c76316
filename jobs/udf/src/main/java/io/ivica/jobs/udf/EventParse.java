package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * What the parse functions share: one pass over the root object, the keys every event has
 * (site_id, camera_id, captured_at, the optional event_id) and their checks, and the result row
 * (the reason first: NULL and the typed fields for a valid record, the reason alone for an
 * invalid one; event_id last, NULL when the record has none).
 */
public abstract class EventParse extends ScalarFunction {

  /** Fields of the result row, the reason included. */
  abstract int arity();

  /** A reader for one record. */
  abstract Event newEvent();

  final RowData parse(StringData payload) {
    try {
      if (payload == null) {
        throw new Json.Invalid("invalid JSON: empty");
      }
      Event event = newEvent();
      event.read(payload.toBytes());
      return event.row();
    } catch (Json.Invalid e) {
      return rejected(e.getMessage());
    } catch (IOException e) {
      return rejected(Json.malformed(e));
    }
  }

  private RowData rejected(String reason) {
    GenericRowData row = new GenericRowData(arity());
    row.setField(0, StringData.fromString(reason));
    return row;
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

  /** One record's fields while it is read; a key given twice keeps its last value. */
  abstract static class Event {
    String siteId;
    String cameraId;
    boolean hasCapturedAt;
    String capturedAt;
    boolean hasEventId;
    String eventId;

    /** Reads a key of this event type; must consume its value (skip it if unknown). */
    abstract void field(String key, JsonParser p) throws IOException;

    /** Checks the rules in order, then the typed result row. */
    abstract RowData row() throws Json.Invalid;

    final void read(byte[] payload) throws IOException, Json.Invalid {
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
            case "event_id":
              hasEventId = true;
              eventId = Json.string(p);
              break;
            default: field(key, p);
          }
        }
        Json.end(p);
      }
    }

    final void checkIds() throws Json.Invalid {
      if (siteId == null || siteId.isEmpty()) {
        throw new Json.Invalid("site_id: missing or not a non-empty string");
      }
      if (cameraId == null || cameraId.isEmpty()) {
        throw new Json.Invalid("camera_id: missing or not a non-empty string");
      }
    }

    final void checkCapturedAt() throws Json.Invalid {
      if (!hasCapturedAt) {
        throw new Json.Invalid("captured_at: missing");
      }
      if (Timestamps.parse(capturedAt) == Timestamps.INVALID) {
        throw new Json.Invalid("captured_at: not ISO-8601 UTC with milliseconds and Z");
      }
    }

    /**
     * The optional event_id, checked last: absent (older producers) gives NULL; present, it must
     * be the contract's lower-case UUID version 4, the key the jobs drop repeats by.
     */
    final StringData checkedEventId() throws Json.Invalid {
      if (!hasEventId) {
        return null;
      }
      if (!isUuid4(eventId)) {
        throw new Json.Invalid("event_id: not a lower-case UUID version 4");
      }
      return StringData.fromString(eventId);
    }

    /** {@code ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$}. */
    static boolean isUuid4(String id) {
      if (id == null || id.length() != 36) {
        return false;
      }
      for (int i = 0; i < 36; i++) {
        char c = id.charAt(i);
        boolean ok;
        if (i == 8 || i == 13 || i == 18 || i == 23) {
          ok = c == '-';
        } else if (i == 14) {
          ok = c == '4';
        } else if (i == 19) {
          ok = c == '8' || c == '9' || c == 'a' || c == 'b';
        } else {
          ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }
        if (!ok) {
          return false;
        }
      }
      return true;
    }

    /** A track id: present, and an integer or null. */
    static final class Track {
      boolean present;
      boolean ok;
      Long id;

      void read(JsonParser p) throws IOException {
        present = true;
        ok = p.currentToken() == JsonToken.VALUE_NULL;
        id = ok ? null : Json.integer(p);
        ok |= id != null;
      }
    }
  }
}
