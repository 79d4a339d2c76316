package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * What the parse functions share: one pass over the root object, the keys every event has
 * (site_id, camera_id, event_id) and their checks, the capture time most events have, the
 * unknown keys (ignored by the older streams' parsers, rejected by the newer ones), and the
 * result row (the reason first: NULL and the typed fields for a valid record, the reason alone
 * for an invalid one) and, last, the event time. A parser names its row type in a class-level
 * {@code @FunctionHint} and gives its size to the constructor and a new {@link Event} to each
 * record; {@link #eval} is the same for all.
 *
 * <p>The event time ({@code event_time}, the last field) is the record's capture time (a zone
 * visit's exit time) in the contract's form, for an invalid record too, once its JSON has been
 * read to the end; else NULL. The raw tables take their watermarked event time from it, so the
 * source calls the parse twice a record: in the watermark generator pushed into it, and for the
 * row. The last record (its bytes) and its row are kept per thread, so the second call reads no
 * JSON: the same bytes give the same row, so it is exact.
 */
public abstract class EventParse extends ScalarFunction {
  private static final ThreadLocal<Last> LAST = ThreadLocal.withInitial(Last::new);

  private final int arity;

  /** The last record parsed on this thread: its parser, its bytes and its row. */
  private static final class Last {
    Class<?> parser;
    byte[] payload = new byte[0];
    RowData row;
  }

  /** `arity`: fields of the result row, the reason and the event time included. */
  EventParse(int arity) {
    this.arity = arity;
  }

  /** A reader for one record. */
  abstract Event newEvent();

  public final RowData eval(
      @DataTypeHint(value = "STRING", bridgedTo = StringData.class) StringData payload) {
    if (payload == null) {
      return rejected("invalid JSON: empty", null);
    }
    byte[] bytes = payload.toBytes();
    Last last = LAST.get();
    if (last.parser == getClass() && Arrays.equals(last.payload, bytes)) {
      return last.row;
    }
    RowData row = parse(bytes);
    last.parser = getClass();
    last.payload = bytes.clone(); // toBytes may hand out the row's own array
    last.row = row;
    return row;
  }

  private RowData parse(byte[] payload) {
    Event event = newEvent();
    try {
      event.read(payload);
    } catch (Json.Invalid e) {
      return rejected(e.getMessage(), null);
    } catch (IOException e) {
      return rejected(Json.malformed(e), null);
    }
    TimestampData time = event.time();
    try {
      GenericRowData row = event.row();
      row.setField(arity - 1, time);
      return row;
    } catch (Json.Invalid e) {
      return rejected(e.getMessage(), time);
    }
  }

  private RowData rejected(String reason, TimestampData time) {
    GenericRowData row = new GenericRowData(arity);
    row.setField(0, StringData.fromString(reason));
    row.setField(arity - 1, time);
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
    String unknownKey; // the first key this event type does not know

    /** Reads a key of this event type; must consume its value ({@link #unknown} if unknown). */
    abstract void field(String key, JsonParser p) throws IOException;

    /** Checks the rules in order, then the typed result row ({@link #valid}). */
    abstract GenericRowData row() throws Json.Invalid;

    /** The text of the event's time: captured_at, unless the event type says otherwise. */
    String timeText() {
      return capturedAt;
    }

    /** The event time, NULL unless {@link #timeText} is in the contract's form. */
    final TimestampData time() {
      long millis = Timestamps.parse(timeText());
      return millis == Timestamps.INVALID ? null : TimestampData.fromEpochMillis(millis);
    }

    /** A valid record's row: the NULL reason, `fields`, then a place for the event time. */
    static GenericRowData valid(Object... fields) {
      GenericRowData row = new GenericRowData(fields.length + 2);
      for (int i = 0; i < fields.length; i++) {
        row.setField(i + 1, fields[i]);
      }
      return row;
    }

    final void read(byte[] payload) throws IOException, Json.Invalid {
      try (JsonParser p = Json.openObject(payload)) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          p.nextToken();
          switch (key) {
            case "site_id": siteId = Json.string(p); break;
            case "camera_id": cameraId = Json.string(p); break;
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

    /** A key the event type does not know: skipped, and the first one remembered. */
    final void unknown(String key, JsonParser p) throws IOException {
      if (unknownKey == null) {
        unknownKey = key;
      }
      p.skipChildren();
    }

    /** The value of captured_at (for the event types that have one). */
    final void readCapturedAt(JsonParser p) throws IOException {
      hasCapturedAt = p.currentToken() != JsonToken.VALUE_NULL;
      capturedAt = Json.string(p);
    }

    /** The contract's rule on keys (additionalProperties: false), checked first. */
    final void checkNoUnknownKey() throws Json.Invalid {
      if (unknownKey != null) {
        int n = unknownKey.codePointCount(0, unknownKey.length());
        String shown = n <= 64 ? unknownKey
            : unknownKey.substring(0, unknownKey.offsetByCodePoints(0, 64)) + "...";
        throw new Json.Invalid("unknown key: " + shown);
      }
    }

    /** An id of the contract: a string of 1 to 128 characters. */
    static void checkId(String name, String value) throws Json.Invalid {
      if (!Json.isId(value)) {
        throw new Json.Invalid(name + ": missing or not a string of 1 to 128 characters");
      }
    }

    /** The contract's ids every event has, with their length limit (the newer streams). */
    final void checkContractIds() throws Json.Invalid {
      checkId("site_id", siteId);
      checkId("camera_id", cameraId);
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

    /** The event_id of the newer streams, where it is required. */
    final StringData requiredEventId() throws Json.Invalid {
      if (!isUuid4(eventId)) {
        throw new Json.Invalid("event_id: missing or not a lower-case UUID version 4");
      }
      return StringData.fromString(eventId);
    }

    /** The schema tag of the newer streams, where it is required: exactly `tag`. */
    static void checkSchema(String schema, String tag) throws Json.Invalid {
      if (!tag.equals(schema)) {
        throw new Json.Invalid("schema: missing or not " + tag);
      }
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
