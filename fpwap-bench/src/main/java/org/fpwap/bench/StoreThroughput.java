package org.fpwap.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import org.fpwap.callback.Store;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.ArrowActivationWriter;
import org.fpwap.result.EmitEncoder;
import org.fpwap.result.EmitWriter;
import org.fpwap.result.EncodedEmit;

/**
 * Write throughput of each activation store (f32, bf16, int8) through the sweep's own emit path: a
 * microbatch's {@code [B, H]} tensor on the compute device is encoded ({@link EmitEncoder}: int8 quantized by
 * tensor ops), copied into the mapped emit file ({@link EmitWriter}, bf16 rounded during the copy) and
 * committed; then the file is exported to Arrow. Times are the median of a few repetitions, each into a new
 * file; the forward pass is not included (it is the same for every store).
 */
final class StoreThroughput {

    /** Sizes of one measurement. */
    record Size(int vectors, int hidden, int microbatch, int repeats) {}

    static final Size QUICK = new Size(4096, 1024, 256, 3);
    static final Size DEFAULT = new Size(16384, 4096, 256, 3);

    /** What one store achieved. */
    record Outcome(Store store, double emitSeconds, double exportSeconds, long safetensorsBytes, long arrowBytes) {}

    private StoreThroughput() {}

    /** Measures every store in a temporary directory (on the default temp file system), deleted afterwards. */
    static List<Outcome> measure(Size size) throws IOException {
        Path dir = Files.createTempDirectory("fpwap-bench-store");
        try {
            return measure(size, dir);
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    private static List<Outcome> measure(Size size, Path dir) throws IOException {
        Random random = new Random(14);
        float[] values = new float[size.microbatch() * size.hidden()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * (i % 97 == 5 ? 100f : 1f);
        }
        int[] lengths = new int[size.vectors()];
        Arrays.fill(lengths, 1);
        OptionalLong[] labels = new OptionalLong[size.vectors()];
        Arrays.fill(labels, OptionalLong.empty());
        Map<Store, List<Double>> emit = new EnumMap<>(Store.class);
        Map<Store, List<Double>> export = new EnumMap<>(Store.class);
        Map<Store, long[]> bytes = new EnumMap<>(Store.class);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray batch = manager.create(values, new Shape(size.microbatch(), size.hidden()));
            for (int rep = 0; rep <= size.repeats(); rep++) {
                for (Store store : Store.values()) {
                    Path st = dir.resolve(store.wireName() + ".safetensors");
                    Path arrow = dir.resolve(store.wireName() + ".arrow");
                    long t0 = System.nanoTime();
                    try (EmitWriter writer = EmitWriter.create(st, lengths, size.hidden(), false, store, Map.of())) {
                        for (int from = 0; from < size.vectors(); from += size.microbatch()) {
                            try (NDManager scope = manager.newSubManager()) {
                                batch.tempAttach(scope);
                                EncodedEmit encoded = EmitEncoder.encode(batch, store);
                                for (int b = 0; b < size.microbatch(); b++) {
                                    writer.put(from + b, encoded, b);
                                }
                            }
                        }
                        writer.commit();
                    }
                    long t1 = System.nanoTime();
                    try (ActivationTable table = ActivationTable.open(st, labels)) {
                        ArrowActivationWriter.write(table, arrow);
                    }
                    long t2 = System.nanoTime();
                    if (rep > 0) { // the first round warms up the JIT and libtorch
                        emit.computeIfAbsent(store, s -> new ArrayList<>()).add((t1 - t0) / 1e9);
                        export.computeIfAbsent(store, s -> new ArrayList<>()).add((t2 - t1) / 1e9);
                    }
                    bytes.put(store, new long[] {Files.size(st), Files.size(arrow)});
                    Files.delete(st);
                    Files.delete(arrow);
                }
            }
        }
        List<Outcome> out = new ArrayList<>();
        for (Store store : Store.values()) {
            out.add(new Outcome(store, median(emit.get(store)), median(export.get(store)), bytes.get(store)[0],
                    bytes.get(store)[1]));
        }
        return out;
    }

    /** Table rows ("6a" ...) and the JSON record of a measurement. */
    static JsonArray report(Size size, List<Outcome> outcomes, List<String[]> rows) {
        JsonArray json = new JsonArray();
        Outcome f32 = outcomes.getFirst();
        double inputMb = (double) size.vectors() * size.hidden() * Float.BYTES / 1e6;
        String model = String.format(Locale.ROOT, "H=%d, %d vectors, microbatch %d (cpu)", size.hidden(), size.vectors(),
                size.microbatch());
        char id = 'a';
        for (Outcome o : outcomes) {
            JsonObject j = new JsonObject();
            j.addProperty("store", o.store().wireName());
            j.addProperty("vectors", size.vectors());
            j.addProperty("hidden", size.hidden());
            j.addProperty("emit_s", o.emitSeconds());
            j.addProperty("export_arrow_s", o.exportSeconds());
            j.addProperty("fp32_input_MBps", inputMb / o.emitSeconds());
            j.addProperty("safetensors_bytes", o.safetensorsBytes());
            j.addProperty("arrow_bytes", o.arrowBytes());
            json.add(j);
            rows.add(new String[] {"7" + id++, "activation store " + o.store().wireName() + ": emit write (device encode + mapped file), then Arrow export",
                    model, Integer.toString(size.vectors()), "-",
                    String.format(Locale.ROOT, "%.0f MB/s of FP32 in (%.2f s), export %.2f s; %s / %s arrow",
                            inputMb / o.emitSeconds(), o.emitSeconds(), o.exportSeconds(), mb(o.safetensorsBytes()), mb(o.arrowBytes())),
                    String.format(Locale.ROOT, "f32: %.2f s, export %.2f s", f32.emitSeconds(), f32.exportSeconds()),
                    String.format(Locale.ROOT, "%.2fx write speed; %.3fx bytes", f32.emitSeconds() / o.emitSeconds(),
                            (double) o.safetensorsBytes() / f32.safetensorsBytes()),
                    o.store() == Store.INT8 ? "bytes ~0.25x" : o.store() == Store.BF16 ? "bytes ~0.5x" : "(baseline)",
                    o.store() == Store.F32 ? "-" : Math.abs((double) o.safetensorsBytes() / f32.safetensorsBytes()
                            - (o.store() == Store.INT8 ? 0.25 : 0.5)) < 0.01 ? "met" : "MISSED"});
        }
        return json;
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static double median(List<Double> xs) {
        List<Double> sorted = new ArrayList<>(xs);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }
}
