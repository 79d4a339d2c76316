package io.ivica.jobs.udf;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The serializer of a RAW aggregate accumulator, named in its {@code @DataTypeHint(rawSerializer
 * = ...)}. Flink serializes an accumulator between the local and the global aggregate (every
 * flush of the local one) and into checkpoints. Without one, Flink falls back to Kryo, which
 * writes every slot of a hash table (empty ones too) and reads the bytes back a few at a time:
 * in bench/jobs_throughput.py the global aggregate then spent most of its time in Kryo.
 * A subclass writes only what the accumulator holds, in a few large reads and writes. Its
 * snapshot (in checkpoints) is its class name ({@link ClassSnapshot}); the older serializers keep
 * a snapshot class of their own, so that their checkpoints still restore.
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

  @Override
  public TypeSerializerSnapshot<T> snapshotConfiguration() {
    return new ClassSnapshot<>(this);
  }

  /** The snapshot of a serializer without settings: its class, restored by name. */
  public static final class ClassSnapshot<T> implements TypeSerializerSnapshot<T> {
    private AccumulatorSerializer<T> serializer;

    /** For Flink, which reads the class name with {@link #readSnapshot}. */
    public ClassSnapshot() {
    }

    ClassSnapshot(AccumulatorSerializer<T> serializer) {
      this.serializer = serializer;
    }

    @Override
    public int getCurrentVersion() {
      return 1;
    }

    @Override
    public void writeSnapshot(DataOutputView out) throws IOException {
      out.writeUTF(serializer.getClass().getName());
    }

    @Override
    @SuppressWarnings("unchecked")
    public void readSnapshot(int version, DataInputView in, ClassLoader loader)
        throws IOException {
      try {
        serializer = (AccumulatorSerializer<T>) Class.forName(in.readUTF(), true, loader)
            .getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IOException("cannot restore an accumulator serializer", e);
      }
    }

    @Override
    public TypeSerializer<T> restoreSerializer() {
      return serializer;
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(
        TypeSerializerSnapshot<T> old) {
      boolean same = old instanceof ClassSnapshot
          && ((ClassSnapshot<T>) old).serializer.getClass() == serializer.getClass();
      return same
          ? TypeSerializerSchemaCompatibility.compatibleAsIs()
          : TypeSerializerSchemaCompatibility.incompatible();
    }
  }
}
