package org.fpwap.dataset;

import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import org.fpwap.io.JsonErrors;

/**
 * {@link Dataset#jsonl} and {@link Dataset#jsonlText}: JSON Lines read one line at a time.
 *
 * <p>Each line is parsed with Gson's streaming {@link JsonReader} in strict mode: no tree is built,
 * and the grammar is full JSON (escapes, any field order, extra fields ignored), so there is no
 * second, hand-written parser to keep in step. Lines are split and UTF-8-decoded here rather than by
 * a {@code BufferedReader}, so a malformed byte is reported on its own line, not on whichever line
 * happened to trigger the decoder's read-ahead.
 */
final class JsonlSource implements Dataset {
    private static final int READ_BUFFER = 1 << 16;

    private final Path file;
    /** Null for token-id lines ({@code input_ids}); else the tokenizer for {@code text} lines. */
    private final TextTokenizer tokenizer;
    /** The field every line must have, for messages. */
    private final String idsField;

    JsonlSource(Path file) {
        this(file, null);
    }

    /** {@link Dataset#jsonlText} when {@code tokenizer} is not null: lines carry {@code text}, not ids. */
    JsonlSource(Path file, TextTokenizer tokenizer) {
        this.file = Objects.requireNonNull(file, "file is null");
        this.tokenizer = tokenizer;
        this.idsField = tokenizer == null ? "input_ids" : "text";
    }

    @Override
    public SampleCursor open() {
        if (tokenizer != null && tokenizer.isClosed()) {
            throw new IllegalStateException("cannot read " + file + ": its tokenizer " + tokenizer.source()
                    + " is already closed");
        }
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file + ": input file not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file, e);
        }
        return new Cursor(in);
    }

    @Override
    public String description() {
        return file.toString();
    }

    @Override
    public String locate(long id) {
        return file + ":" + (id + 1);
    }

    /** The longest line read: 16 MiB is about two million token ids, far beyond every model's position limit. */
    static final int MAX_LINE_BYTES = 16 << 20;

    private final class Cursor implements SampleCursor {
        private final InputStream in;
        private final byte[] buffer = new byte[READ_BUFFER];
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
        private int bufferPos;
        private int bufferEnd;
        private boolean eof;
        private byte[] line = new byte[256];
        private int lineLength;
        private int[] scratch = new int[64];
        /** 1-based number of the line in {@link #pending}, or of the last line read. */
        private long lineNo;
        private String pending;
        private boolean closed;

        Cursor(InputStream in) {
            this.in = in;
        }

        @Override
        public boolean hasNext() {
            if (pending == null && !closed) {
                pending = readLine();
            }
            return pending != null;
        }

        @Override
        public Sample next() {
            if (!hasNext()) {
                throw new NoSuchElementException("all " + lineNo + " lines of " + file + " were read");
            }
            String text = pending;
            pending = null;
            return parse(text);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            pending = null;
            try {
                in.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + file, e);
            }
        }

        /** The next line without its terminator ({@code \n} or {@code \r\n}), or null at the end of the file. */
        private String readLine() {
            lineLength = 0;
            boolean any = false;
            while (true) {
                if (bufferPos == bufferEnd) {
                    if (eof || !fill()) {
                        break;
                    }
                }
                any = true;
                int start = bufferPos;
                int newline = -1;
                for (int i = start; i < bufferEnd; i++) {
                    if (buffer[i] == '\n') {
                        newline = i;
                        break;
                    }
                }
                int end = newline < 0 ? bufferEnd : newline;
                append(start, end);
                bufferPos = newline < 0 ? bufferEnd : newline + 1;
                if (newline >= 0) {
                    return decode();
                }
            }
            return any ? decode() : null;
        }

        private boolean fill() {
            try {
                int n = in.read(buffer);
                if (n <= 0) {
                    eof = true;
                    return false;
                }
                bufferPos = 0;
                bufferEnd = n;
                return true;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + " after line " + lineNo, e);
            }
        }

        private void append(int from, int to) {
            int n = to - from;
            if (lineLength + n > MAX_LINE_BYTES) {
                // Without a bound, one huge line (a file that is not JSON Lines, a missing newline) fills the heap.
                throw new DatasetException(String.format(Locale.ROOT, "%s:%d: the line is longer than %,d bytes; a line "
                        + "holds one prompt, so this is not a JSON Lines prompt file (or a prompt far beyond any position "
                        + "limit)", file, lineNo + 1, MAX_LINE_BYTES));
            }
            if (lineLength + n > line.length) {
                line = Arrays.copyOf(line, (int) Math.min(MAX_LINE_BYTES, Math.max(line.length * 2L, lineLength + n)));
            }
            System.arraycopy(buffer, from, line, lineLength, n);
            lineLength += n;
        }

        private String decode() {
            lineNo++;
            int length = lineLength;
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            int offset = 0;
            if (lineNo == 1 && length >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB && (line[2] & 0xFF) == 0xBF) {
                offset = 3; // a UTF-8 byte-order mark, as some editors write
            }
            boolean ascii = true;
            for (int i = offset; i < length; i++) {
                if (line[i] < 0) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) {
                return new String(line, offset, length - offset, StandardCharsets.ISO_8859_1);
            }
            try {
                return utf8.decode(ByteBuffer.wrap(line, offset, length - offset)).toString();
            } catch (CharacterCodingException e) {
                throw new DatasetException(file + ":" + lineNo + ": not valid UTF-8 (" + e + "); save the file as UTF-8");
            }
        }

        private Sample parse(String text) {
            String where = file + ":" + lineNo;
            if (text.isBlank()) {
                throw new DatasetException(where + ": empty line; every line must be a JSON object with \"" + idsField
                        + "\" (the sample id is the line number, so blank lines are not skipped)");
            }
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            try {
                if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                    throw new DatasetException(where + ": expected a JSON object with \"" + idsField + "\", got "
                            + abbreviate(text));
                }
                reader.beginObject();
                int[] tokens = null;
                String prompt = null;
                OptionalLong label = OptionalLong.empty();
                boolean sawLabel = false;
                while (reader.hasNext()) {
                    String name = reader.nextName();
                    if (tokenizer != null && name.equals("input_ids")) {
                        throw new DatasetException(where + ": field \"input_ids\" in a text dataset; every line must "
                                + "give the prompt as \"text\" (token ids and text cannot be mixed in one file)");
                    } else if (tokenizer != null && name.equals("text")) {
                        if (prompt != null) {
                            throw new DatasetException(where + ": field \"text\" appears twice");
                        }
                        prompt = readText(reader, where);
                    } else if (tokenizer == null && name.equals("input_ids")) {
                        if (tokens != null) {
                            throw new DatasetException(where + ": field \"input_ids\" appears twice");
                        }
                        tokens = readTokens(reader, where);
                    } else if (name.equals("label")) {
                        if (sawLabel) {
                            throw new DatasetException(where + ": field \"label\" appears twice");
                        }
                        sawLabel = true;
                        label = readLabel(reader, where);
                    } else {
                        reader.skipValue();
                    }
                }
                reader.endObject();
                if (reader.peek() != JsonToken.END_DOCUMENT) {
                    throw new DatasetException(where + ": not valid JSON (more than one value on the line)");
                }
                if (tokenizer != null) {
                    if (prompt == null) {
                        throw new DatasetException(where + ": missing field \"text\" (the prompt as a string)");
                    }
                    tokens = tokenizer.encode(prompt);
                    if (tokens.length == (tokenizer.bosTokenId().isPresent() ? 1 : 0)) {
                        // a BOS alone is no prompt: the text itself gave nothing
                        throw new DatasetException(where + ": \"text\" produced no tokens");
                    }
                } else if (tokens == null) {
                    throw new DatasetException(where + ": missing field \"input_ids\" (a list of token ids)");
                }
                return new Sample(lineNo - 1, tokens, label);
            } catch (IOException | IllegalStateException e) {
                // MalformedJsonException, EOFException (line ends mid-value) or a strict-mode rejection
                throw new DatasetException(where + ": not valid JSON (" + JsonErrors.describe(e) + ")");
            }
        }

        private int[] readTokens(JsonReader reader, String where) throws IOException {
            if (reader.peek() != JsonToken.BEGIN_ARRAY) {
                throw new DatasetException(where + ": field \"input_ids\" must be a list of integers, got " + describe(reader));
            }
            reader.beginArray();
            int n = 0;
            while (reader.hasNext()) {
                if (reader.peek() != JsonToken.NUMBER) {
                    throw new DatasetException(where + ": input_ids[" + n + "] must be an integer, got " + describe(reader));
                }
                String literal = reader.nextString();
                long id;
                try {
                    id = exactInteger(literal);
                } catch (ArithmeticException | NumberFormatException e) {
                    throw new DatasetException(where + ": input_ids[" + n + "] must be an integer, got " + abbreviate(literal));
                }
                if (id != (int) id) {
                    throw new DatasetException(where + ": input_ids[" + n + "] = " + literal
                            + " does not fit a 32-bit token id");
                }
                if (n == scratch.length) {
                    scratch = Arrays.copyOf(scratch, n * 2);
                }
                scratch[n++] = (int) id;
            }
            reader.endArray();
            return Arrays.copyOf(scratch, n);
        }

        private String readText(JsonReader reader, String where) throws IOException {
            if (reader.peek() != JsonToken.STRING) {
                throw new DatasetException(where + ": field \"text\" must be a string, got " + describe(reader));
            }
            return reader.nextString();
        }

        private OptionalLong readLabel(JsonReader reader, String where) throws IOException {
            JsonToken token = reader.peek();
            if (token == JsonToken.NULL) {
                reader.nextNull();
                return OptionalLong.empty();
            }
            if (token != JsonToken.NUMBER) {
                throw new DatasetException(where + ": label must be an integer, got " + describe(reader));
            }
            String literal = reader.nextString();
            try {
                return OptionalLong.of(exactInteger(literal));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new DatasetException(where + ": label must be an integer, got " + abbreviate(literal));
            }
        }
    }

    /**
     * The exact integer a JSON number denotes; {@code 3}, {@code 3.0} and {@code 3e0} are all 3,
     * {@code 3.5} and values beyond a long are errors (never rounded through a double).
     *
     * @throws ArithmeticException or NumberFormatException if the literal is not such an integer
     */
    private static long exactInteger(String literal) {
        try {
            return Long.parseLong(literal);
        } catch (NumberFormatException notPlain) {
            return new BigDecimal(literal).longValueExact();
        }
    }

    /** Consumes the next value and renders it as JSON, for an error message. */
    private static String describe(JsonReader reader) {
        try {
            return abbreviate(JsonParser.parseReader(reader).toString());
        } catch (JsonParseException e) {
            return "a malformed value";
        }
    }


    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
