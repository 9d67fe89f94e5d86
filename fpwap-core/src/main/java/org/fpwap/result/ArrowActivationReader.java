package org.fpwap.result;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.InvalidArrowFileException;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Schema;
import org.fpwap.callback.Store;
import org.fpwap.safetensors.Widening;

/**
 * Reads an activation file written by {@link ArrowActivationWriter}, row by row, as plain Java
 * values. Meant for tests and small results: each row is copied to the heap, and only one record
 * batch is held in memory at a time. Compressed files come back as FP32: BF16 widened exactly, int8
 * multiplied by its vector's scale.
 *
 * <p>Not thread-safe. Closing releases the file and all Arrow memory (and fails loudly on a leak).
 */
public final class ArrowActivationReader implements AutoCloseable, Iterable<ActivationRow> {

    private final Path file;
    private final BufferAllocator allocator;
    private final ArrowFileReader reader;
    /** The reader's single root; every loaded batch replaces its contents. */
    private final VectorSchemaRoot root;
    private final ActivationLayout layout;
    private final List<ArrowBlock> blocks;
    /** {@code batchStarts[b]} is the first row of batch {@code b}; the last entry is the row count. */
    private final int[] batchStarts;
    private int loadedBatch = -1;

    private ArrowActivationReader(Path file, BufferAllocator allocator, ArrowFileReader reader)
            throws IOException {
        this.file = file;
        this.allocator = allocator;
        this.reader = reader;
        this.root = reader.getVectorSchemaRoot();
        this.layout = ActivationLayout.fromSchema(root.getSchema(), file);
        this.blocks = List.copyOf(reader.getRecordBlocks());
        this.batchStarts = new int[blocks.size() + 1];
        long rows = 0;
        for (int b = 0; b < blocks.size(); b++) {
            batchStarts[b] = (int) rows;
            load(b);
            rows += root.getRowCount();
            if (rows > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + " holds more than " + Integer.MAX_VALUE + " rows");
            }
        }
        batchStarts[blocks.size()] = (int) rows;
    }

    /**
     * Opens an activation file with a private allocator.
     *
     * @param file the Arrow IPC file
     * @return the reader; close it
     * @throws IOException when the file cannot be read or is not an Arrow IPC file (the message names it)
     * @throws IllegalArgumentException when the file is Arrow but not an activation file
     */
    public static ArrowActivationReader open(Path file) throws IOException {
        return open(file, null);
    }

    /**
     * Opens an activation file, allocating from a child of {@code parent}.
     *
     * @param file the Arrow IPC file
     * @param parent the parent allocator, or {@code null} for a private root allocator
     * @return the reader; close it before closing {@code parent}
     * @throws IOException when the file cannot be read or is not an Arrow IPC file (the message names it)
     * @throws IllegalArgumentException when the file is Arrow but not an activation file
     */
    public static ArrowActivationReader open(Path file, BufferAllocator parent) throws IOException {
        requireNonNull(file, "file is null");
        BufferAllocator allocator = parent == null
                ? new RootAllocator()
                : parent.newChildAllocator("arrow-activation-reader " + file, 0, Long.MAX_VALUE);
        FileChannel channel = null;
        ArrowFileReader reader = null;
        boolean success = false;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            reader = new ArrowFileReader(channel, allocator);
            ArrowActivationReader result = new ArrowActivationReader(file, allocator, reader);
            success = true;
            return result;
        } catch (IOException e) {
            throw new IOException("cannot read activations from " + file + ": " + e.getMessage(), e);
        } catch (InvalidArrowFileException e) {
            throw new IOException("cannot read activations from " + file + ": it is not an Arrow IPC file ("
                    + e.getMessage() + ")", e);
        } finally {
            if (!success) {
                closeAfterFailure(reader, channel, allocator);
            }
        }
    }

    /** {@return the vector length H} */
    public int hiddenSize() {
        return layout.hiddenSize();
    }

    /** {@return whether rows hold a list of vectors (one per token) rather than exactly one} */
    public boolean ragged() {
        return layout.ragged();
    }

    /** {@return how the file stores its values (f32 unless its schema metadata says bf16 or int8)} */
    public Store store() {
        return layout.store();
    }

    /** {@return the number of rows in the file} */
    public int rowCount() {
        return batchStarts[blocks.size()];
    }

    /** {@return the file's Arrow schema, including its metadata} */
    public Schema schema() {
        return root.getSchema();
    }

    /** {@return the number of record batches in the file} */
    public int batchCount() {
        return blocks.size();
    }

    /**
     * Reads one row.
     *
     * @param index the row index, {@code 0 <= index < rowCount()}
     * @return the row, copied to the heap
     * @throws UncheckedIOException when the file cannot be read (the message names it)
     */
    public ActivationRow row(int index) {
        if (index < 0 || index >= rowCount()) {
            throw new IndexOutOfBoundsException("row " + index + " of " + file + ", which has " + rowCount()
                    + " rows");
        }
        int batch = Arrays.binarySearch(batchStarts, 0, blocks.size(), index);
        if (batch < 0) {
            batch = -batch - 2;
        }
        while (batch + 1 < blocks.size() && batchStarts[batch + 1] == index) {
            batch++; // skip empty batches written by other tools
        }
        try {
            load(batch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read activations from " + file + ": " + e.getMessage(), e);
        }
        return readLoaded(index - batchStarts[batch]);
    }

    /** {@return every row, in file order} */
    public List<ActivationRow> readAll() {
        List<ActivationRow> rows = new ArrayList<>(rowCount());
        for (ActivationRow row : this) {
            rows.add(row);
        }
        return rows;
    }

    /** {@return an iterator over the rows in file order} */
    @Override
    public Iterator<ActivationRow> iterator() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < rowCount();
            }

            @Override
            public ActivationRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("all " + rowCount() + " rows of " + file + " were read");
                }
                return row(next++);
            }
        };
    }

    /** Closes the file and releases all Arrow memory; throws if any was leaked. */
    @Override
    public void close() throws IOException {
        try (allocator) {
            reader.close();
        }
    }

    private void load(int batch) throws IOException {
        if (batch != loadedBatch) {
            reader.loadRecordBatch(blocks.get(batch));
            loadedBatch = batch;
        }
    }

    private ActivationRow readLoaded(int i) {
        BigIntVector ids = (BigIntVector) root.getVector(ActivationLayout.SAMPLE_ID);
        BigIntVector labels = (BigIntVector) root.getVector(ActivationLayout.LABEL);
        OptionalLong label = labels.isNull(i) ? OptionalLong.empty() : OptionalLong.of(labels.get(i));
        int firstToken;
        int tokens;
        FixedSizeListVector vectors;
        if (layout.ragged()) {
            ListVector lists = (ListVector) root.getVector(ActivationLayout.ACTIVATION);
            vectors = (FixedSizeListVector) lists.getDataVector();
            firstToken = lists.getElementStartIndex(i);
            tokens = lists.getElementEndIndex(i) - firstToken;
        } else {
            vectors = (FixedSizeListVector) root.getVector(ActivationLayout.ACTIVATION);
            firstToken = i;
            tokens = 1;
        }
        int h = layout.hiddenSize();
        float[][] values = new float[tokens][h];
        for (int t = 0; t < tokens; t++) {
            int base = (firstToken + t) * h;
            switch (layout.store()) {
                case F32 -> {
                    Float4Vector floats = (Float4Vector) vectors.getDataVector();
                    for (int d = 0; d < h; d++) {
                        values[t][d] = floats.get(base + d);
                    }
                }
                case BF16 -> {
                    UInt2Vector bits = (UInt2Vector) vectors.getDataVector();
                    for (int d = 0; d < h; d++) {
                        values[t][d] = Widening.bf16ToF32((short) bits.get(base + d));
                    }
                }
                case INT8 -> {
                    TinyIntVector q = (TinyIntVector) vectors.getDataVector();
                    float scale = scale(firstToken + t);
                    for (int d = 0; d < h; d++) {
                        values[t][d] = q.get(base + d) * scale;
                    }
                }
            }
        }
        return new ActivationRow(ids.get(i), label, values);
    }

    /** The scale of the {@code vector}-th vector of the loaded batch (the pooled column or the flattened lists). */
    private float scale(int vector) {
        var column = root.getVector(ActivationLayout.SCALE);
        Float4Vector scales = layout.ragged() ? (Float4Vector) ((ListVector) column).getDataVector() : (Float4Vector) column;
        return scales.get(vector);
    }

    private static void closeAfterFailure(ArrowFileReader reader, FileChannel channel, BufferAllocator allocator) {
        try (allocator; channel; reader) {
            // closes in reverse order: reader, channel, allocator
        } catch (Exception suppressed) {
            // The original failure is what the caller needs to see.
        }
    }
}
