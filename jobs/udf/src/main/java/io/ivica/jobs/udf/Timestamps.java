package io.ivica.jobs.udf;

import java.time.LocalDate;

/** The contract's capture time: {@code yyyy-MM-ddTHH:mm:ss.SSSZ}, UTC, a real date and time. */
final class Timestamps {
  static final long INVALID = Long.MIN_VALUE;

  private Timestamps() {}

  /** Milliseconds since the epoch, or {@link #INVALID}. Never rolls 02-30 over to March. */
  static long parse(String s) {
    if (s == null || s.length() != 24 || s.charAt(4) != '-' || s.charAt(7) != '-'
        || s.charAt(10) != 'T' || s.charAt(13) != ':' || s.charAt(16) != ':'
        || s.charAt(19) != '.' || s.charAt(23) != 'Z') {
      return INVALID;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    int milli = digits(s, 20, 3);
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23
        || minute < 0 || minute > 59 || second < 0 || second > 59 || milli < 0
        || day > LocalDate.of(year, month, 1).lengthOfMonth()) {
      return INVALID;
    }
    long days = LocalDate.of(year, month, day).toEpochDay();
    return ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + milli;
  }

  /** The ASCII decimal number at s[from, from + n), or -1. */
  private static int digits(String s, int from, int n) {
    int v = 0;
    for (int i = from; i < from + n; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
