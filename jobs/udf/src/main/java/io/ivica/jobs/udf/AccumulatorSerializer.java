package io.ivica.jobs.udf;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The serializer of a RAW aggregate accumulator, named in its {@code @DataTypeHint(rawSerializer
 * = ...)}. Flink serializes an accumulator between the local and the global aggregate (every
 * flush of the local one) and into checkpoints. Without one, Flink falls back to Kryo, which
 * writes every slot of a hash table (empty ones too) and reads the bytes back a few at a time:
 * in bench/jobs_throughput.py the global aggregate then spent most of its time in Kryo.
 * A subclass writes only what the accumulator holds, in a few large reads and writes.
 */
public abstract class AccumulatorSerializer<T> extends TypeSerializerSingleton<T> {

  @Override
  public final boolean isImmutableType() {
    return false;
  }

  @Override
  public final int getLength() {
    return -1;
  }

  @Override
  public final T copy(T from, T reuse) {
    return copy(from);
  }

  @Override
  public final T deserialize(T reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public final void copy(DataInputView source, DataOutputView target) throws IOException {
    serialize(deserialize(source), target);
  }
}
