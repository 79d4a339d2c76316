package io.ivica.jobs.udf;

import org.apache.flink.table.data.StringData;

/**
 * The events a group has counted, by event_id, and what each contributed (a long and an int):
 * an open-addressing hash table over the id's 128 bits, in primitive arrays (cheap for Flink
 * to copy and serialize between local and global aggregation). An event_id is the contract's
 * lower-case UUID version 4 (the parse functions checked it), so its high half is never zero
 * and marks a used slot. Keeping each event's contribution, not only a total, lets two partial
 * tables that both saw an event merge without counting it twice.
 */
public final class EventTable {
  public long[] ids = new long[32]; // high, low half of each slot
  public long[] longs = new long[16];
  public int[] ints = new int[16];
  public int size;

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
    long[] oldIds = ids;
    long[] oldLongs = longs;
    int[] oldInts = ints;
    int n = oldLongs.length * 2;
    ids = new long[2 * n];
    longs = new long[n];
    ints = new int[n];
    size = 0;
    for (int slot = 0; slot < oldLongs.length; slot++) {
      if (oldIds[2 * slot] != 0) {
        add(oldIds[2 * slot], oldIds[2 * slot + 1], oldLongs[slot], oldInts[slot]);
      }
    }
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
