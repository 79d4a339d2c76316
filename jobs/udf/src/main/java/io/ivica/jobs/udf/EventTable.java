package io.ivica.jobs.udf;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.table.data.StringData;

/**
 * The events a group has counted, by event_id, and what each contributed (a long and an int):
 * an open-addressing hash table over the id's 128 bits, in primitive arrays. An event_id is the
 * contract's lower-case UUID version 4 (the parse functions checked it), so its high half is
 * never zero and marks a used slot. Keeping each event's contribution, not only a total, lets
 * two partial tables that both saw an event merge without counting it twice. {@link #write}
 * and {@link #read} carry the used slots only (the accumulators' serializers use them).
 */
public final class EventTable {
  private static final int MIN_CAPACITY = 16;
  private static final int SLOT_BYTES = 3 * Long.BYTES + Integer.BYTES;

  public long[] ids; // high, low half of each slot
  public long[] longs;
  public int[] ints;
  public int size;

  public EventTable() {
    this(MIN_CAPACITY);
  }

  /** An empty table with `capacity` slots (a power of two). */
  private EventTable(int capacity) {
    ids = new long[2 * capacity];
    longs = new long[capacity];
    ints = new int[capacity];
  }

  /** An empty table that holds `events` without growing. */
  private static EventTable forSize(int events) {
    int capacity = MIN_CAPACITY;
    while (2 * (events + 1) > capacity) {
      capacity *= 2;
    }
    return new EventTable(capacity);
  }

  /** Adds the event unless it is in the table; true when it was new. */
  public boolean add(long high, long low, long longValue, int intValue) {
    if (2 * (size + 1) > capacity()) {
      grow();
    }
    int slot = find(high, low);
    if (ids[2 * slot] != 0) {
      return false;
    }
    ids[2 * slot] = high;
    ids[2 * slot + 1] = low;
    longs[slot] = longValue;
    ints[slot] = intValue;
    size++;
    return true;
  }

  public int capacity() {
    return longs.length;
  }

  /** Whether a slot holds an event (iterate slots 0..capacity-1). */
  public boolean used(int slot) {
    return ids[2 * slot] != 0;
  }

  private int find(long high, long low) {
    int mask = capacity() - 1;
    long h = high * 0x9E3779B97F4A7C15L ^ low;
    int slot = (int) (h ^ (h >>> 32)) & mask;
    while (ids[2 * slot] != 0 && (ids[2 * slot] != high || ids[2 * slot + 1] != low)) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private void grow() {
    EventTable bigger = new EventTable(2 * capacity());
    bigger.addAll(this, slot -> { });
    ids = bigger.ids;
    longs = bigger.longs;
    ints = bigger.ints;
  }

  /** Adds the event with this event_id (a lower-case UUID) unless it is in the table. */
  public boolean add(StringData eventId, long longValue, int intValue) {
    byte[] text = eventId.toBytes();
    return add(hex(text, 0), hex(text, 19), longValue, intValue);
  }

  /** Adds every event of `other` this table lacks; calls `added` with each one's slot there. */
  public void addAll(EventTable other, java.util.function.IntConsumer added) {
    for (int slot = 0; slot < other.capacity(); slot++) {
      if (other.used(slot)
          && add(other.ids[2 * slot], other.ids[2 * slot + 1], other.longs[slot],
              other.ints[slot])) {
        added.accept(slot);
      }
    }
  }

  /** A deep copy. */
  public EventTable copy() {
    EventTable copy = new EventTable(0);
    copy.ids = ids.clone();
    copy.longs = longs.clone();
    copy.ints = ints.clone();
    copy.size = size;
    return copy;
  }

  /** The number of events, then their slots, in one write. */
  public void write(DataOutputView out) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(size * SLOT_BYTES);
    for (int slot = 0; slot < capacity(); slot++) {
      if (used(slot)) {
        bytes.putLong(ids[2 * slot]).putLong(ids[2 * slot + 1]).putLong(longs[slot])
            .putInt(ints[slot]);
      }
    }
    out.writeInt(size);
    out.write(bytes.array());
  }

  /** A table as {@link #write} wrote it. */
  public static EventTable read(DataInputView in) throws IOException {
    int events = in.readInt();
    byte[] array = new byte[events * SLOT_BYTES];
    in.readFully(array);
    ByteBuffer bytes = ByteBuffer.wrap(array);
    EventTable table = forSize(events);
    for (int i = 0; i < events; i++) {
      table.add(bytes.getLong(), bytes.getLong(), bytes.getLong(), bytes.getInt());
    }
    return table;
  }

  /** 16 hex digits from `from` on, dashes skipped. */
  private static long hex(byte[] text, int from) {
    long v = 0;
    int digits = 0;
    for (int i = from; digits < 16; i++) {
      byte c = text[i];
      if (c == '-') {
        continue;
      }
      v = (v << 4) | (c <= '9' ? c - '0' : c - 'a' + 10);
      digits++;
    }
    return v;
  }
}
