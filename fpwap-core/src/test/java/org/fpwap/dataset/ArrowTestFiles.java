package org.fpwap.dataset;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Writes Arrow IPC test inputs with Arrow's own writers (an independent encoder for our reader). */
final class ArrowTestFiles {
    /** IPC container: random-access file or stream. */
    enum Format { FILE, STREAM }

    /** How {@code input_ids} is laid out. */
    enum IdsType {
        LIST_INT32(false, 32), LIST_INT64(false, 64), LARGE_LIST_INT32(true, 32), LARGE_LIST_INT64(true, 64);

        final boolean large;
        final int bits;

        IdsType(boolean large, int bits) {
            this.large = large;
            this.bits = bits;
        }
    }

    /** One row: {@code ids} null for a null list, a null {@code Long} element for a null token. */
    record Row(Long[] ids, Long label) {
        static Row of(Sample s) {
            Long[] ids = new Long[s.length()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (long) s.token(i);
            }
            return new Row(ids, s.label().isPresent() ? s.label().getAsLong() : null);
        }
    }

    private ArrowTestFiles() {}

    static List<Row> rows(List<Sample> samples) {
        return samples.stream().map(Row::of).toList();
    }

    /**
     * Writes {@code rows} in batches of {@code batchRows} (and one empty batch after the first).
     *
     * @param labelBits 0 for no label column, else 32 or 64
     */
    static Path write(Path file, Format format, IdsType idsType, int labelBits, int batchRows, List<Row> rows)
            throws IOException {
        Field item = new Field("item", FieldType.nullable(new ArrowType.Int(idsType.bits, true)), null);
        ArrowType listType = idsType.large ? ArrowType.LargeList.INSTANCE : ArrowType.List.INSTANCE;
        List<Field> fields = new ArrayList<>();
        fields.add(new Field("text", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)); // ignored column
        fields.add(new Field("input_ids", FieldType.nullable(listType), List.of(item)));
        if (labelBits != 0) {
            fields.add(new Field("label", FieldType.nullable(new ArrowType.Int(labelBits, true)), null));
        }
        return write(file, format, new Schema(fields), batchRows, rows);
    }

    /** Writes {@code rows} with an arbitrary schema whose {@code input_ids} and {@code label} follow {@link #write}. */
    static Path write(Path file, Format format, Schema schema, int batchRows, List<Row> rows) throws IOException {
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                ArrowWriter writer = format == Format.FILE
                        ? new ArrowFileWriter(root, null, channel)
                        : new ArrowStreamWriter(root, null, channel)) {
            writer.start();
            boolean wroteEmpty = false;
            for (int from = 0; from < rows.size(); from += batchRows) {
                List<Row> batch = rows.subList(from, Math.min(rows.size(), from + batchRows));
                fill(root, batch);
                writer.writeBatch();
                if (!wroteEmpty) {
                    fill(root, List.of());
                    writer.writeBatch();
                    wroteEmpty = true;
                }
            }
            writer.end();
        }
        return file;
    }

    private static void fill(VectorSchemaRoot root, List<Row> batch) {
        root.allocateNew();
        FieldVector ids = root.getVector("input_ids");
        FieldVector labels = root.getVector("label");
        for (int r = 0; r < batch.size(); r++) {
            Row row = batch.get(r);
            if (ids != null) {
                writeIds(ids, r, row.ids());
            }
            if (labels != null) {
                if (row.label() == null) {
                    labels.setNull(r);
                } else if (labels instanceof IntVector v) {
                    v.setSafe(r, Math.toIntExact(row.label()));
                } else {
                    ((BigIntVector) labels).setSafe(r, row.label());
                }
            }
        }
        root.setRowCount(batch.size());
    }

    private static void writeIds(FieldVector vector, int r, Long[] ids) {
        if (ids == null) {
            if (vector instanceof ListVector l) {
                l.setNull(r);
            } else {
                ((LargeListVector) vector).setNull(r);
            }
            return;
        }
        long start;
        FieldVector data;
        if (vector instanceof ListVector l) {
            start = l.startNewValue(r);
            data = l.getDataVector();
        } else {
            LargeListVector l = (LargeListVector) vector;
            start = l.startNewValue(r);
            data = l.getDataVector();
        }
        for (int i = 0; i < ids.length; i++) {
            int index = Math.toIntExact(start + i);
            if (ids[i] == null) {
                if (data instanceof IntVector v) {
                    v.setNull(index);
                } else {
                    ((BigIntVector) data).setNull(index);
                }
            } else if (data instanceof IntVector v) {
                v.setSafe(index, Math.toIntExact(ids[i]));
            } else {
                ((BigIntVector) data).setSafe(index, ids[i]);
            }
        }
        if (vector instanceof ListVector l) {
            l.endValue(r, ids.length);
        } else {
            ((LargeListVector) vector).endValue(r, ids.length);
        }
    }
}
