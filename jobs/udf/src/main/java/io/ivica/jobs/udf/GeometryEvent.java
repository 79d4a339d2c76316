package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import org.apache.flink.table.data.StringData;

/**
 * What the geometry events (line_crossings/v1, zone_visits/v1) share, read with the contract's
 * rules exactly (these streams have no older producers to spare): a track_id integer, a
 * geometry_version id and a schema tag; no unknown key, site_id and camera_id of 1 to 128
 * characters and a required event_id. A subclass reads its own keys in {@link #ownField} and
 * checks in its row: {@link #checkHead} first, its own rules, then {@link #checkTail}.
 */
abstract class GeometryEvent extends EventParse.Event {
  private final String schemaTag;
  Long trackId;
  String geometryVersion;
  String schema;

  /** `schemaTag`: the schema the events must name, e.g. line_crossings/v1. */
  GeometryEvent(String schemaTag) {
    this.schemaTag = schemaTag;
  }

  /** Reads a key of the event type besides the shared ones ({@link #unknown} if unknown). */
  abstract void ownField(String key, JsonParser p) throws IOException;

  @Override
  final void field(String key, JsonParser p) throws IOException {
    switch (key) {
      case "track_id": trackId = Json.integer(p); break;
      case "geometry_version": geometryVersion = Json.string(p); break;
      case "schema": schema = Json.string(p); break;
      default: ownField(key, p);
    }
  }

  /** The first rules, in order: no unknown key, site_id and camera_id, track_id. */
  final void checkHead() throws Json.Invalid {
    checkNoUnknownKey();
    checkContractIds();
    if (trackId == null) {
      throw new Json.Invalid("track_id: missing or not an int");
    }
  }

  final void checkGeometryVersion() throws Json.Invalid {
    checkId("geometry_version", geometryVersion);
  }

  /** The last rules, in order: the schema tag, then the required event_id (returned). */
  final StringData checkTail() throws Json.Invalid {
    checkSchema(schema, schemaTag);
    return requiredEventId();
  }
}
