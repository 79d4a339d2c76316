package io.ivica.jobs.udf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * The JSON rules of the contract, on one streaming pass (jackson-core, strict: no comments, no
 * NaN, no leading zeros, no trailing commas). Numbers follow JSON Schema: an integer is any
 * number with no fractional part ({@code 3}, {@code -0}, {@code 3.0}, {@code 1e3}); a string
 * {@code "3"} is never a number. A key given twice counts once, with its last value.
 */
final class Json {
  static final JsonFactory FACTORY = JsonFactory.builder().build();

  private Json() {}

  /** A record that breaks the contract; its message is the dead-letter reason. */
  static final class Invalid extends Exception {
    Invalid(String reason) {
      super(reason, null, false, false); // no stack trace: this is data, not a bug
    }
  }

  /**
   * Opens the payload and moves onto the root object's first token.
   *
   * @throws Invalid when the payload is empty or its root is not an object
   */
  static JsonParser openObject(byte[] payload) throws IOException, Invalid {
    JsonParser p = FACTORY.createParser(payload);
    JsonToken root = p.nextToken();
    if (root == null) {
      throw new Invalid("invalid JSON: empty");
    }
    if (root != JsonToken.START_OBJECT) {
      throw new Invalid("invalid JSON: not an object");
    }
    return p;
  }

  /** After the root object: anything but whitespace is an error. */
  static void end(JsonParser p) throws IOException, Invalid {
    if (p.nextToken() != null) {
      throw new Invalid("invalid JSON: more than one value");
    }
  }

  /** The dead-letter reason for a payload the parser rejected. */
  static String malformed(IOException e) {
    String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException
        ? ((com.fasterxml.jackson.core.JsonProcessingException) e).getOriginalMessage()
        : e.getMessage();
    String first = String.valueOf(message).lines().findFirst().orElse("");
    return "invalid JSON: " + (first.length() > 160 ? first.substring(0, 160) + "..." : first);
  }

  /** The current value if it is a string, else null (and the value is skipped). */
  static String string(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    p.skipChildren();
    return null;
  }

  /** The current value if it is an integer that fits in a long, else null (and skipped). */
  static Long integer(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NUMBER_INT) {
      return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? null : p.getLongValue();
    }
    if (t == JsonToken.VALUE_NUMBER_FLOAT) {
      BigDecimal d = p.getDecimalValue();
      try {
        return d.longValueExact(); // throws on a fraction or outside long
      } catch (ArithmeticException e) {
        return null;
      }
    }
    p.skipChildren();
    return null;
  }

  /** The current value as a double if it is a number, else NaN (and the value is skipped). */
  static double number(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
      return p.getDoubleValue();
    }
    p.skipChildren();
    return Double.NaN;
  }

  /** A probability: a number from 0 to 1, compared exactly (1.00000000000000000001 is not). */
  static boolean unitInterval(JsonParser p) throws IOException {
    double v = number(p);
    if (v > 0.0 && v < 1.0) {
      return true; // rounding to double is monotonic, and 0 and 1 are exact doubles
    }
    if (v != 0.0 && v != 1.0) {
      return false; // also NaN: not a number
    }
    BigDecimal exact = p.getDecimalValue(); // at a bound, rounding may hide the excess
    return exact.signum() >= 0 && exact.compareTo(BigDecimal.ONE) <= 0;
  }

  /** An id of the contract: a string of 1 to 128 characters (Unicode code points). */
  static boolean isId(String s) {
    return s != null && !s.isEmpty()
        && (s.length() <= 128 || s.codePointCount(0, s.length()) <= 128);
  }

  /** A finite number >= 0 (compared exactly: -1e-400 is below 0), else NaN (and skipped). */
  static double nonNegative(JsonParser p) throws IOException {
    double v = number(p);
    if (!Double.isFinite(v) || v < 0.0) {
      return Double.NaN;
    }
    if (v == 0.0 && p.getDecimalValue().signum() < 0) {
      return Double.NaN; // rounded to -0.0, yet below 0
    }
    return v;
  }

  /**
   * A detection's zones: at most 64 distinct ids, added to `into` when valid. False for
   * anything else (the value is consumed either way).
   */
  static boolean zones(JsonParser p, java.util.List<String> into) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      p.skipChildren();
      return false;
    }
    boolean ok = true;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      String zone = string(p);
      ok = ok && isId(zone) && into.size() < 64 && !into.contains(zone);
      if (ok) {
        into.add(zone);
      }
    }
    return ok;
  }

  /** Exactly four finite numbers in an array. */
  static boolean box(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      p.skipChildren();
      return false;
    }
    int n = 0;
    boolean ok = true;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      n++;
      ok &= Double.isFinite(number(p));
    }
    return ok && n == 4;
  }
}
