package org.fpwap.dataset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * {@link Dataset#arrow}: an Arrow IPC file or stream read one record batch at a time.
 *
 * <p>Each cursor owns its allocator (a fresh {@link RootAllocator}, or a child of the caller's), the
 * file channel and the reader; {@link SampleCursor#close()} closes all three, and closing the
 * allocator fails loudly if any batch buffer is still outstanding.
 */
final class ArrowSource implements Dataset {
    static final String IDS = "input_ids";
    static final String LABEL = "label";
    private static final byte[] FILE_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    private static final int STREAM_CONTINUATION = 0xFFFFFFFF;

    private final Path file;
    private final BufferAllocator parent;

    /** @param parent the allocator each pass allocates a child of, or null for a private root per pass */
    ArrowSource(Path file, BufferAllocator parent) {
        this.file = Objects.requireNonNull(file, "file is null");
        this.parent = parent;
    }

    @Override
    public String description() {
        return file.toString();
    }

    @Override
    public String locate(long id) {
        return file + " row " + id;
    }

    @Override
    public SampleCursor open() {
        BufferAllocator allocator = parent == null
                ? new RootAllocator()
                : parent.newChildAllocator("dataset " + file, 0, Long.MAX_VALUE);
        FileChannel channel = null;
        ArrowReader reader = null;
        boolean success = false;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            boolean fileFormat = isFileFormat(channel);
            channel.position(0);
            reader = fileFormat ? new ArrowFileReader(channel, allocator) : new ArrowStreamReader(channel, allocator);
            VectorSchemaRoot root;
            try {
                root = reader.getVectorSchemaRoot();
            } catch (IOException | RuntimeException e) {
                throw unreadable(e);
            }
            checkSchema(root.getSchema());
            Cursor cursor = new Cursor(allocator, reader, root);
            success = true;
            return cursor;
        } catch (NoSuchFileException e) {
            throw new DatasetException(file + ": input file not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } finally {
            if (!success) {
                closeQuietly(reader, channel, allocator);
            }
        }
    }

    /** True for the random-access file format, false for a stream; rejects files that are neither. */
    private boolean isFileFormat(FileChannel channel) throws IOException {
        long size = channel.size();
        ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        while (head.hasRemaining() && channel.read(head) >= 0) {
            // keep reading: a channel may return fewer bytes than asked
        }
        if (head.position() < 8) {
            throw new DatasetException(file + ": not an Arrow IPC file or stream (only " + size + " bytes)");
        }
        byte[] start = Arrays.copyOf(head.array(), FILE_MAGIC.length);
        if (Arrays.equals(start, FILE_MAGIC)) {
            return true;
        }
        // Stream format: a 0xFFFFFFFF continuation marker and the schema message length, or (before
        // Arrow 0.15) the length alone. A plausible length guards Arrow's reader against allocating
        // a heap buffer sized by whatever the first bytes of some other file happen to say.
        int first = head.getInt(0);
        long length = first == STREAM_CONTINUATION ? head.getInt(4) : first;
        long available = size - (first == STREAM_CONTINUATION ? 8 : 4);
        if (length > 0 && length <= available) {
            return false;
        }
        throw new DatasetException(file + ": not an Arrow IPC file or stream (it starts with neither the file magic "
                + "\"ARROW1\" nor a stream schema message); write it with pyarrow.ipc.new_file or new_stream, "
                + "or use a .jsonl file for JSON Lines");
    }

    private DatasetException unreadable(Exception e) {
        if (e instanceof DatasetException d) {
            return d;
        }
        return new DatasetException(file + ": not a readable Arrow IPC file or stream (" + e.getClass().getSimpleName()
                + ": " + e.getMessage() + "); it may be truncated or still being written");
    }

    private void checkSchema(Schema schema) {
        Field ids = field(schema, IDS);
        if (ids == null) {
            throw new DatasetException(file + ": no column \"" + IDS + "\"; the columns are "
                    + schema.getFields().stream().map(f -> f.getName() + " " + typeName(f)).toList()
                    + "; \"" + IDS + "\" must be a list<int32> or list<int64> of token ids");
        }
        boolean listOfInts = ids.getDictionary() == null
                && (ids.getType() instanceof ArrowType.List || ids.getType() instanceof ArrowType.LargeList)
                && ids.getChildren().size() == 1
                && isSignedInt32Or64(ids.getChildren().get(0));
        if (!listOfInts) {
            throw new DatasetException(file + ": column \"" + IDS + "\" has type " + typeName(ids)
                    + "; expected list<int32>, list<int64>, large_list<int32> or large_list<int64>");
        }
        Field label = field(schema, LABEL);
        if (label != null && !isSignedInt32Or64(label)) {
            throw new DatasetException(file + ": column \"" + LABEL + "\" has type " + typeName(label)
                    + "; expected int32 or int64 (null for rows without a label)");
        }
    }

    private static Field field(Schema schema, String name) {
        for (Field f : schema.getFields()) {
            if (f.getName().equals(name)) {
                return f;
            }
        }
        return null;
    }

    private static boolean isSignedInt32Or64(Field f) {
        return f.getDictionary() == null && f.getType() instanceof ArrowType.Int i && i.getIsSigned()
                && (i.getBitWidth() == 32 || i.getBitWidth() == 64);
    }

    /** Arrow's type in the notation pyarrow prints: {@code list<int32>}, {@code large_list<utf8>}, ... */
    static String typeName(Field f) {
        String child = f.getChildren().isEmpty() ? "?" : typeName(f.getChildren().get(0));
        String base = switch (f.getType()) {
            case ArrowType.List l -> "list<" + child + ">";
            case ArrowType.LargeList l -> "large_list<" + child + ">";
            case ArrowType.FixedSizeList l -> "fixed_size_list<" + child + ", " + l.getListSize() + ">";
            case ArrowType.Int i -> (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
            case ArrowType.FloatingPoint p -> switch (p.getPrecision()) {
                case HALF -> "float16";
                case SINGLE -> "float32";
                case DOUBLE -> "float64";
            };
            case ArrowType.Utf8 u -> "utf8";
            case ArrowType.LargeUtf8 u -> "large_utf8";
            case ArrowType.Binary b -> "binary";
            case ArrowType.Bool b -> "bool";
            case ArrowType.Null n -> "null";
            default -> f.getType().toString();
        };
        return f.getDictionary() == null ? base : "dictionary<" + base + ">";
    }

    private static void closeQuietly(ArrowReader reader, FileChannel channel, BufferAllocator allocator) {
        try {
            if (reader != null) {
                reader.close();
            } else if (channel != null) {
                channel.close();
            }
        } catch (IOException | RuntimeException ignored) {
            // already failing; the original exception is the one to report
        }
        try {
            allocator.close();
        } catch (RuntimeException ignored) {
            // as above
        }
    }

    private final class Cursor implements SampleCursor {
        private final BufferAllocator allocator;
        private final ArrowReader reader;
        private final VectorSchemaRoot root;
        /** The root's vectors: both readers load every batch into these same objects. */
        private final FieldVector ids;
        private final FieldVector labels;
        private int batchRows;
        private int rowInBatch;
        /** Row number of the next sample, over all batches. */
        private long row;
        private boolean exhausted;
        private boolean closed;

        Cursor(BufferAllocator allocator, ArrowReader reader, VectorSchemaRoot root) {
            this.allocator = allocator;
            this.reader = reader;
            this.root = root;
            this.ids = root.getVector(IDS);
            this.labels = root.getVector(LABEL); // null without a label column
        }

        @Override
        public boolean hasNext() {
            while (!closed && !exhausted && rowInBatch >= batchRows) {
                boolean loaded;
                try {
                    loaded = reader.loadNextBatch();
                } catch (IOException | RuntimeException e) {
                    throw new DatasetException(file + ": cannot read the record batch starting at row " + row + " ("
                            + e.getClass().getSimpleName() + ": " + e.getMessage() + "); it may be truncated or corrupt");
                }
                if (!loaded) {
                    exhausted = true;
                } else {
                    batchRows = root.getRowCount();
                    rowInBatch = 0;
                }
            }
            return !closed && !exhausted;
        }

        @Override
        public Sample next() {
            if (!hasNext()) {
                throw new NoSuchElementException("all " + row + " rows of " + file + " were read");
            }
            int r = rowInBatch++;
            long id = row++;
            int[] tokens = tokens(r, id);
            OptionalLong label = OptionalLong.empty();
            if (labels != null) {
                if (!labels.isNull(r)) {
                    label = OptionalLong.of(labels instanceof IntVector v ? v.get(r) : ((BigIntVector) labels).get(r));
                }
            }
            return new Sample(id, tokens, label);
        }

        private int[] tokens(int r, long id) {
            if (ids.isNull(r)) {
                throw new DatasetException(locate(id) + ": " + IDS + " is null; every row needs a list of token ids");
            }
            long start;
            long end;
            ValueVector data;
            if (ids instanceof ListVector list) {
                ArrowBuf offsets = list.getOffsetBuffer();
                start = offsets.getInt((long) r * ListVector.OFFSET_WIDTH);
                end = offsets.getInt((long) (r + 1) * ListVector.OFFSET_WIDTH);
                data = list.getDataVector();
            } else {
                LargeListVector list = (LargeListVector) ids;
                ArrowBuf offsets = list.getOffsetBuffer();
                start = offsets.getLong((long) r * LargeListVector.OFFSET_WIDTH);
                end = offsets.getLong((long) (r + 1) * LargeListVector.OFFSET_WIDTH);
                data = list.getDataVector();
            }
            long length = end - start;
            if (length < 0 || length > Integer.MAX_VALUE - 8 || end > data.getValueCount()) {
                throw new DatasetException(locate(id) + ": corrupt " + IDS + " offsets [" + start + ", " + end
                        + ") for a value buffer of " + data.getValueCount() + " elements");
            }
            int[] tokens = new int[(int) length];
            boolean checkNulls = data.getNullCount() > 0;
            int base = (int) start;
            if (data instanceof IntVector ints) {
                for (int i = 0; i < tokens.length; i++) {
                    if (checkNulls && ints.isNull(base + i)) {
                        throw nullElement(id, i);
                    }
                    tokens[i] = ints.get(base + i);
                }
            } else {
                BigIntVector longs = (BigIntVector) data;
                for (int i = 0; i < tokens.length; i++) {
                    if (checkNulls && longs.isNull(base + i)) {
                        throw nullElement(id, i);
                    }
                    long value = longs.get(base + i);
                    if (value != (int) value) {
                        throw new DatasetException(locate(id) + ": " + IDS + "[" + i + "] = " + value
                                + " does not fit a 32-bit token id");
                    }
                    tokens[i] = (int) value;
                }
            }
            return tokens;
        }

        private DatasetException nullElement(long id, int i) {
            return new DatasetException(locate(id) + ": " + IDS + "[" + i + "] is null; token ids cannot be null");
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                reader.close(); // closes the batch vectors and the file channel
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + file, e);
            } finally {
                allocator.close(); // throws if a buffer is still outstanding
            }
        }
    }
}
