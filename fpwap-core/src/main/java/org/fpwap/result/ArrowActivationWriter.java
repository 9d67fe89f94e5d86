package org.fpwap.result;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Writes {@link ActivationRows} as an Arrow IPC file (the random-access "file" format), readable by
 * {@code pyarrow.ipc.open_file}, pandas, polars and DuckDB.
 *
 * <p>Schema: {@code sample_id int64 not null}, {@code label int64} (null when a sample has none) and
 * {@code activation}, either {@code fixed_size_list<float32 not null>[H]} (pooled) or
 * {@code list<fixed_size_list<float32 not null>[H]>} with one entry per real token (ragged). The
 * schema metadata holds {@code hidden_size} and {@code ragged} (and {@code store} for bf16/int8 files, see
 * {@link ActivationLayout}). Validity bitmaps of arrays without nulls are left out, as the format allows.
 *
 * <p>Rows go out in record batches of at most 1 MiB of float data or 4 Ki rows (but at least one
 * row), so memory stays bounded however many rows there are. The file is written to a temporary
 * file in the target's directory and atomically moved into place: the target name never holds a
 * partial file, and on failure the temporary file is deleted.
 */
public final class ArrowActivationWriter {

    private ArrowActivationWriter() {}

    /**
     * Writes {@code rows} to {@code out}, replacing any existing file, using a private allocator.
     *
     * @param rows the activations, read once in order
     * @param out the file to write; its directory must exist
     * @throws IOException when the file cannot be written (the message names it)
     * @throws IllegalArgumentException when {@code rows} is inconsistent (the message names the row)
     * @throws IllegalStateException when Arrow memory was leaked (a bug)
     */
    public static void write(ActivationRows rows, Path out) throws IOException {
        try (BufferAllocator allocator = new RootAllocator()) {
            write(rows, out, allocator);
        }
    }

    /**
     * Writes {@code rows} to {@code out}, replacing any existing file, allocating Arrow buffers from a
     * child of {@code allocator} that is closed (and checked for leaks) before returning.
     *
     * @param rows the activations, read once in order
     * @param out the file to write; its directory must exist
     * @param allocator the parent allocator for the batch buffers
     * @throws IOException when the file cannot be written (the message names it)
     * @throws IllegalArgumentException when {@code rows} is inconsistent (the message names the row)
     */
    public static void write(ActivationRows rows, Path out, BufferAllocator allocator) throws IOException {
        write(rows, out, allocator, BatchLimits.DEFAULT);
    }

    static void write(ActivationRows rows, Path out, BufferAllocator allocator, BatchLimits limits)
            throws IOException {
        requireNonNull(rows, "rows is null");
        requireNonNull(out, "out is null");
        requireNonNull(allocator, "allocator is null");
        requireNonNull(limits, "limits is null");
        Path target = out.toAbsolutePath();
        ActivationLayout layout = new ActivationLayout(rows.hiddenSize(), rows.ragged(), rows.store());
        if (rows.sampleCount() < 0) {
            throw new IllegalArgumentException("sampleCount must be non-negative, got " + rows.sampleCount());
        }
        Path temp = createTempBeside(target);
        boolean success = false;
        try {
            writeFile(rows, layout, temp, target, allocator, limits);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            success = true;
        } catch (IOException e) {
            throw new IOException("cannot write activations to " + target + ": " + e.getMessage(), e);
        } finally {
            if (!success) {
                deleteQuietly(temp);
            }
        }
    }

    private static void writeFile(ActivationRows rows, ActivationLayout layout, Path temp, Path target,
            BufferAllocator parent, BatchLimits limits) throws IOException {
        try (BufferAllocator allocator = parent.newChildAllocator("arrow-activation-writer " + target, 0,
                        Long.MAX_VALUE);
                FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                VectorSchemaRoot root = VectorSchemaRoot.create(layout.schema(), allocator);
                CompactArrowFileWriter writer = new CompactArrowFileWriter(root, channel, allocator)) {
            writer.start();
            BatchFiller filler = new BatchFiller(rows, root);
            int from = 0;
            while (from < rows.sampleCount()) {
                int to = limits.endOfBatch(rows, from);
                filler.fill(from, to);
                writer.writeCompactBatch();
                rows.release(from, to);
                from = to;
            }
            writer.end();
            channel.force(true);
        }
    }

    private static Path createTempBeside(Path target) throws IOException {
        Path dir = target.getParent();
        if (dir == null) {
            throw new IOException("cannot write activations to " + target + ": it has no parent directory");
        }
        if (Files.isDirectory(target)) {
            throw new IOException("cannot write activations to " + target + ": it is a directory");
        }
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "cannot write activations to " + target
                    + ": directory " + dir + " does not exist; create it first");
        }
        if (!Files.isDirectory(dir)) {
            throw new NotDirectoryException("cannot write activations to " + target + ": " + dir
                    + " is not a directory");
        }
        try {
            // Not Files.createTempFile: it makes the file owner-only, and the final file should get the
            // same permissions (umask) as any other file the user writes.
            return Files.createFile(dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp"));
        } catch (IOException e) {
            throw new IOException("cannot write activations to " + target + ": cannot create a file in "
                    + dir + " (" + e + ")", e);
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // The original failure matters more; a leftover hidden temp file is harmless.
        }
    }
}
