package org.fpwap.run;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.DatasetScanner;
import org.fpwap.dataset.DatasetSummary;
import org.fpwap.dataset.Sample;
import org.fpwap.dataset.SampleCursor;

/**
 * A SHA-256 over every sample's id, token ids and label, in dataset order: what a resume compares to be
 * sure it continues over the same prompts. Streams the dataset once more (prompts are never held).
 */
public final class DatasetDigest {

    private DatasetDigest() {}

    /** The digest of {@code dataset}, replayed against its {@code summary}, as lower-case hex. */
    public static String of(Dataset dataset, DatasetSummary summary, int vocabSize, int maxPositions) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        try (SampleCursor cursor = DatasetScanner.replay(dataset, summary, vocabSize, maxPositions)) {
            while (cursor.hasNext()) {
                Sample s = cursor.next();
                put(sha, buf, 24);
                buf.putLong(s.id()).putInt(s.length()).putInt(s.label().isPresent() ? 1 : 0).putLong(s.label().orElse(0));
                for (int i = 0; i < s.length(); i++) {
                    put(sha, buf, 4);
                    buf.putInt(s.token(i));
                }
            }
        }
        sha.update(buf.flip());
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Makes room for {@code bytes} more, digesting what the buffer holds when it is full. */
    private static void put(MessageDigest sha, ByteBuffer buf, int bytes) {
        if (buf.remaining() < bytes) {
            sha.update(buf.flip());
            buf.clear();
        }
    }
}
