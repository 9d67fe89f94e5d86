package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.SafetensorsHeader;
import org.fpwap.safetensors.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fpwap extract --verify} exits with status 3 and names the first difference when the naive schedule
 * does not reproduce the streaming one. The difference is real, not simulated: the checkpoint's embedding table
 * is overwritten in place after the streaming pass has embedded every prompt (at its first progress line,
 * which the engine prints after the embedding pass) and before the verify pass re-embeds them, as when a model
 * file is replaced under a running job.
 */
class VerifyMismatchExitTest {

    private static final String EMBEDDING = "model.embed_tokens.weight";

    @TempDir
    Path tmp;

    @Test
    void aCheckpointChangedDuringTheRunFailsVerifyWithExitStatusThree() throws Exception {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
        Path input = Files.writeString(tmp.resolve("p.jsonl"), "{\"input_ids\": [1, 5, 9, 3]}\n{\"input_ids\": [7, 2]}\n");
        Path file = model.resolve("model.safetensors");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Writer tamperAtFirstProgressLine = new Writer() {
            private boolean done;

            @Override
            public void write(char[] buf, int off, int len) {
                out.write(buf, off, len);
                if (!done && out.toString().contains("sweep:")) {
                    done = true;
                    shiftEveryValue(file, EMBEDDING);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        int code = Fpwap.execute(new String[] {"extract", "--model", model.toString(), "--input", input.toString(), "--out",
                tmp.resolve("out").toString(), "--verify"}, new PrintWriter(tamperAtFirstProgressLine, true), new PrintWriter(err, true));
        String transcript = "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        assertTrue(out.toString().contains("sweep:"), "the tampering hook never ran: " + transcript);
        assertEquals(ExtractCommand.VERIFY_FAILED, code, transcript);
        assertTrue(err.toString().startsWith("fpwap extract: "), transcript);
        assertTrue(err.toString().contains("verify FAILED: streaming and naive schedules differ first at layer 0 "),
                "the first difference is in layer 0, fed the re-embedded prompts: " + transcript);
    }

    /** Adds 0.5 to every F32 value of {@code tensor}, in place (the engine's read-only mapping sees the change). */
    private static void shiftEveryValue(Path file, String tensor) {
        SafetensorsHeader header = SafetensorsHeader.read(file);
        TensorInfo info = header.require(tensor);
        long start = header.dataStart() + info.begin();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(info.byteLength())).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(data, start);
            for (int i = 0; i < data.capacity(); i += Float.BYTES) {
                data.putFloat(i, data.getFloat(i) + 0.5f);
            }
            data.rewind();
            channel.write(data, start);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
