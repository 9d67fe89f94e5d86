package org.fpwap.run;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.zip.CRC32C;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.forward.Hook;
import org.fpwap.result.EmitStream;

/**
 * The journal of a resumable sweep: one file, {@code journal.bin} in the work directory, replaced atomically
 * at every commit. A commit writes the whole {@link JournalEntry} to {@code journal.bin.tmp}, forces it to
 * storage, renames it over {@code journal.bin} and forces the directory, so after a crash or power loss the
 * journal is either the previous commit or the new one, never a mixture. The file ends with a CRC-32C of its
 * contents, so a torn or foreign file is refused rather than misread.
 */
public final class Journal {

    /** The journal's file name inside the work directory. */
    public static final String FILE_NAME = "journal.bin";

    private static final int MAGIC = 0x4650574A; // "FPWJ"
    private static final int VERSION = 1;

    private Journal() {}

    /** Whether {@code workDir} holds a journal. */
    public static boolean exists(Path workDir) {
        return Files.isRegularFile(workDir.resolve(FILE_NAME));
    }

    /**
     * Reads the journal in {@code workDir}; empty if there is none.
     *
     * @throws RunDirectoryException if it exists but is unreadable, torn or of another format
     */
    public static Optional<JournalEntry> read(Path workDir) {
        Path file = workDir.resolve(FILE_NAME);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new RunDirectoryException("cannot read the journal " + file + ": " + e.getMessage(), e);
        }
        try {
            if (bytes.length < 8) {
                throw new EOFException("only " + bytes.length + " bytes");
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
            if ((int) crc.getValue() != stored) {
                throw new IOException("checksum mismatch");
            }
            return Optional.of(decode(new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4))));
        } catch (IOException | RuntimeException e) {
            throw new RunDirectoryException("the journal " + file + " is damaged or not an fpwap journal (" + e.getMessage()
                    + "); start over with --overwrite (API: delete the work directory)", e);
        }
    }

    /** Makes {@code entry} the journal of {@code workDir}, atomically and durably (see the class comment). */
    public static void commit(Path workDir, JournalEntry entry) {
        Path file = workDir.resolve(FILE_NAME);
        Path temp = workDir.resolve(FILE_NAME + ".tmp");
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            encode(entry, new DataOutputStream(bytes));
            byte[] body = bytes.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(body);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer all = ByteBuffer.allocate(body.length + 4).put(body).putInt((int) crc.getValue()).flip();
                while (all.hasRemaining()) {
                    ch.write(all);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + workDir + " cannot rename atomically, so it cannot hold a journal", e);
            }
            forceDirectory(workDir);
        } catch (IOException e) {
            throw new RunDirectoryException("cannot commit the journal " + file + ": " + e.getMessage(), e);
        }
    }

    /** Forces a directory's entries (renames, new files) to storage; a no-op where the platform cannot. */
    public static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (UnsupportedOperationException | java.nio.file.AccessDeniedException e) {
            // Windows cannot open a directory; its renames are durable once the call returns.
        }
    }

    private static void encode(JournalEntry e, DataOutputStream out) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        writeMap(out, e.identity().entries());
        out.writeInt(e.microbatch().samples());
        out.writeLong(e.microbatch().tokenBudget());
        out.writeDouble(e.microbatch().minFill());
        out.writeInt(e.completedLayer());
        out.writeBoolean(e.sweepDone());
        out.writeInt(e.emits().size());
        for (Map.Entry<EmitStream, String> s : e.emits().entrySet()) {
            out.writeUTF(s.getKey().callback());
            out.writeInt(s.getKey().layer());
            out.writeUTF(s.getKey().hook().wireName());
            out.writeUTF(s.getValue());
        }
        out.writeInt(e.artifacts().size());
        for (Artifact a : e.artifacts()) {
            writeArtifact(out, a);
        }
        out.writeInt(e.states().size());
        for (Map.Entry<String, byte[]> s : e.states().entrySet()) {
            out.writeUTF(s.getKey());
            out.writeInt(s.getValue().length);
            out.write(s.getValue());
        }
        out.flush();
    }

    private static JournalEntry decode(DataInputStream in) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not a journal");
        }
        int version = in.readInt();
        if (version != VERSION) {
            throw new IOException("journal format " + version + ", this fpwap reads " + VERSION);
        }
        RunIdentity identity = new RunIdentity(readMap(in));
        JournalEntry.Microbatching mb = new JournalEntry.Microbatching(in.readInt(), in.readLong(), in.readDouble());
        int completed = in.readInt();
        boolean done = in.readBoolean();
        Map<EmitStream, String> emits = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            String callback = in.readUTF();
            int layer = in.readInt();
            Hook hook = hook(in.readUTF());
            emits.put(new EmitStream(callback, layer, hook), in.readUTF());
        }
        List<Artifact> artifacts = new ArrayList<>();
        for (int i = in.readInt(); i > 0; i--) {
            artifacts.add(readArtifact(in));
        }
        Map<String, byte[]> states = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            String name = in.readUTF();
            byte[] state = new byte[in.readInt()];
            in.readFully(state);
            states.put(name, state);
        }
        if (in.read() != -1) {
            throw new IOException("trailing bytes");
        }
        return new JournalEntry(identity, mb, completed, done, emits, artifacts, states);
    }

    private static void writeArtifact(DataOutputStream out, Artifact a) throws IOException {
        out.writeUTF(a.kind());
        out.writeInt(a.layer().orElse(-1));
        out.writeUTF(a.hook().map(Hook::wireName).orElse(""));
        out.writeInt(a.tensors().size());
        for (Map.Entry<String, ArtifactTensor> t : a.tensors().entrySet()) {
            out.writeUTF(t.getKey());
            long[] shape = t.getValue().shape();
            out.writeInt(shape.length);
            for (long d : shape) {
                out.writeLong(d);
            }
            switch (t.getValue()) {
                case ArtifactTensor.F32 f -> {
                    out.writeByte('F');
                    for (float v : f.data()) {
                        out.writeInt(Float.floatToRawIntBits(v));
                    }
                }
                case ArtifactTensor.I64 l -> {
                    out.writeByte('I');
                    for (long v : l.data()) {
                        out.writeLong(v);
                    }
                }
            }
        }
        writeMap(out, a.metadata());
    }

    private static Artifact readArtifact(DataInputStream in) throws IOException {
        String kind = in.readUTF();
        int layer = in.readInt();
        String hook = in.readUTF();
        Map<String, ArtifactTensor> tensors = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            String name = in.readUTF();
            long[] shape = new long[in.readInt()];
            long count = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = in.readLong();
                count = Math.multiplyExact(count, shape[d]);
            }
            int type = in.readByte();
            if (type == 'F') {
                float[] data = new float[Math.toIntExact(count)];
                for (int j = 0; j < data.length; j++) {
                    data[j] = Float.intBitsToFloat(in.readInt());
                }
                tensors.put(name, ArtifactTensor.f32(shape, data));
            } else if (type == 'I') {
                long[] data = new long[Math.toIntExact(count)];
                for (int j = 0; j < data.length; j++) {
                    data[j] = in.readLong();
                }
                tensors.put(name, ArtifactTensor.i64(shape, data));
            } else {
                throw new IOException("unknown tensor type " + type);
            }
        }
        return new Artifact(kind, layer < 0 ? OptionalInt.empty() : OptionalInt.of(layer),
                hook.isEmpty() ? Optional.empty() : Optional.of(hook(hook)), tensors, readMap(in));
    }

    private static Hook hook(String name) throws IOException {
        return Hook.fromWireName(name).orElseThrow(() -> new IOException("unknown hook \"" + name + "\""));
    }

    private static void writeMap(DataOutputStream out, Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : map.entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    private static Map<String, String> readMap(DataInputStream in) throws IOException {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            map.put(readString(in), readString(in));
        }
        return map;
    }

    /** UTF-8 with an int length: {@code writeUTF} stops at 64 KB, which a long option string could pass. */
    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }
}
