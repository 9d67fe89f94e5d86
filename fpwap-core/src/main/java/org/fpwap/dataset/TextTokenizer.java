package org.fpwap.dataset;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.LibUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A model's Hugging Face {@code tokenizer.json}, loaded with DJL's native tokenizers binding, turning
 * prompt text into token ids for {@link Dataset#jsonlText}.
 *
 * <p>The tokenizer adds no special tokens, no padding and no truncation of its own (DJL's defaults
 * would pad and silently truncate to 512 tokens): the ids are exactly what the {@code tokenizer.json}
 * pipeline produces, with the model's BOS id prepended when asked. Prompts that are too long are
 * reported by {@link DatasetScanner}, never cut. Encoding is deterministic, so the scan and the replay
 * pass of a dataset see the same ids.
 *
 * <p>Instances own the native tokenizer and are closed once by their creator; closing again is
 * harmless and {@link #encode} after {@link #close} throws {@link IllegalStateException}. Encoding and
 * closing are serialized, so a concurrent close can never free the native tokenizer under an
 * in-flight encode.
 *
 * <p>Nothing is downloaded: the native library comes from the {@code ai.djl.huggingface:tokenizers}
 * jar (extracted once to DJL's cache, {@code ~/.djl.ai/tokenizers}, or {@code RUST_LIBRARY_PATH}
 * when set), and DJL's start-up telemetry call is skipped when {@code ai.djl.offline=true}, as
 * every fpwap process runs.
 */
public final class TextTokenizer implements AutoCloseable {
    /** Options for DJL: the raw tokenizer.json pipeline, no special tokens, padding or truncation. */
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

    private final Path source;
    private final OptionalInt bos;
    private HuggingFaceTokenizer tokenizer;

    private TextTokenizer(Path source, OptionalInt bos, HuggingFaceTokenizer tokenizer) {
        this.source = source;
        this.bos = bos;
        this.tokenizer = tokenizer;
    }

    /**
     * Loads {@code tokenizerJson} (a {@code tokenizer.json} file, or a directory holding one).
     *
     * @param addBos prepend the BOS token to every prompt ({@code --add-bos})
     * @param bosTokenId the model's {@code bos_token_id} from {@code config.json}; required when
     *     {@code addBos}, ignored otherwise
     * @throws DatasetException if the file is missing or not a tokenizer, or {@code addBos} without a
     *     (non-negative) BOS id
     * @throws IllegalStateException if DJL's native tokenizers library cannot be loaded
     */
    public static TextTokenizer load(Path tokenizerJson, boolean addBos, OptionalInt bosTokenId) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson is null");
        Objects.requireNonNull(bosTokenId, "bosTokenId is null");
        if (addBos && bosTokenId.isEmpty()) {
            throw new DatasetException("tokenizer: --add-bos needs bos_token_id in config.json");
        }
        if (addBos && bosTokenId.getAsInt() < 0) {
            throw new DatasetException("tokenizer: bos_token_id " + bosTokenId.getAsInt()
                    + " in config.json is negative; it must be a token id");
        }
        Path file = Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson;
        if (!Files.isRegularFile(file)) {
            throw new DatasetException(file + ": tokenizer file not found (the model's tokenizer.json)");
        }
        try {
            LibUtils.checkStatus();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot load the Hugging Face tokenizers native library bundled with "
                    + "ai.djl.huggingface:tokenizers (" + e.getMessage() + (e.getCause() == null ? "" : ": "
                    + e.getCause().getMessage()) + "); check that ~/.djl.ai (or DJL_CACHE_DIR) is writable, "
                    + "or point RUST_LIBRARY_PATH at a libtokenizers for this platform", e);
        }
        HuggingFaceTokenizer loaded;
        try {
            loaded = HuggingFaceTokenizer.newInstance(file, OPTIONS);
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read the tokenizer (" + e + ")");
        } catch (RuntimeException e) {
            // the native parser reports malformed or unsupported tokenizer.json as a RuntimeException
            throw new DatasetException(file + ": not a valid Hugging Face tokenizer.json (" + e.getMessage() + ")");
        }
        return new TextTokenizer(file, addBos ? bosTokenId : OptionalInt.empty(), loaded);
    }

    /**
     * The token ids of {@code text}: the BOS id first if asked, then the tokenizer's ids. Empty or
     * whitespace-only text may give no ids at all, or only the BOS id ({@link Dataset#jsonlText}
     * rejects both).
     *
     * @throws IllegalStateException after {@link #close}
     */
    public synchronized int[] encode(String text) {
        Objects.requireNonNull(text, "text is null");
        if (tokenizer == null) {
            throw new IllegalStateException("tokenizer " + source + " is closed");
        }
        Encoding encoding = tokenizer.encode(text, false, false);
        long[] ids = encoding.getIds();
        int offset = bos.isPresent() ? 1 : 0;
        int[] out = new int[ids.length + offset];
        if (offset == 1) {
            out[0] = bos.getAsInt();
        }
        for (int i = 0; i < ids.length; i++) {
            long id = ids[i];
            if (id != (int) id) {
                throw new IllegalStateException(source + ": token id " + id + " does not fit 32 bits");
            }
            out[i + offset] = (int) id;
        }
        return out;
    }

    /**
     * This tokenizer, prepending {@code bosId} from now on, for {@link ModelTokenizer} (which learns the BOS
     * id by encoding the BOS token's text). The native tokenizer moves to the new instance; this one reads
     * as closed.
     */
    synchronized TextTokenizer withBos(int bosId) {
        if (tokenizer == null) {
            throw new IllegalStateException("tokenizer " + source + " is closed");
        }
        TextTokenizer moved = new TextTokenizer(source, OptionalInt.of(bosId), tokenizer);
        tokenizer = null;
        return moved;
    }

    /** The BOS id prepended to every prompt, or empty if none is. */
    public OptionalInt bosTokenId() {
        return bos;
    }

    /** The {@code tokenizer.json} this was loaded from. */
    public Path source() {
        return source;
    }

    /** Whether {@link #close} has been called. */
    public synchronized boolean isClosed() {
        return tokenizer == null;
    }

    /** Frees the native tokenizer; later calls do nothing. */
    @Override
    public synchronized void close() {
        HuggingFaceTokenizer t = tokenizer;
        tokenizer = null;
        if (t != null) {
            t.close();
        }
    }

    @Override
    public String toString() {
        return "TextTokenizer[" + source + (bos.isPresent() ? ", bos=" + bos.getAsInt() : "") + "]";
    }
}
