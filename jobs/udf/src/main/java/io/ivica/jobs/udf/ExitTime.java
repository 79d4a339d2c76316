package io.ivica.jobs.udf;

/**
 * {@code IVICA_EXIT_TIME(payload)}: the event time of a zone visit, its top-level
 * {@code exited_at} (the visit is over then), or NULL when it breaks the contract's time form.
 */
public final class ExitTime extends CaptureTime {
  public ExitTime() {
    super("exited_at");
  }
}
