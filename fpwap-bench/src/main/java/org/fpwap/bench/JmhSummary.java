package org.fpwap.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result ({@code -rf json}) into GB/s and GFLOP/s, with each rate next to its baseline:
 * widening against a copy of the same source bytes, a block forward against DJL's GEMM at the same H.
 *
 * <p>Usage: {@code JmhSummary results.json}
 */
public final class JmhSummary {

    private JmhSummary() {}

    public static void main(String[] args) throws IOException {
        var results = JsonParser.parseString(Files.readString(Path.of(args[0]))).getAsJsonArray();
        Map<String, Double> rate = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>();
        for (JsonElement e : results) {
            JsonObject r = e.getAsJsonObject();
            String name = r.get("benchmark").getAsString().replace("org.fpwap.bench.jmh.", "");
            StringBuilder params = new StringBuilder();
            if (r.has("params")) {
                for (var p : r.getAsJsonObject("params").entrySet()) {
                    params.append(params.isEmpty() ? "" : ",").append(p.getKey()).append('=').append(p.getValue().getAsString());
                }
            }
            double ops = r.getAsJsonObject("primaryMetric").get("score").getAsDouble();
            JsonObject sec = r.has("secondaryMetrics") ? r.getAsJsonObject("secondaryMetrics") : new JsonObject();
            double bytes = sec.has("bytes") ? sec.getAsJsonObject("bytes").get("score").getAsDouble() : 0;
            double flops = sec.has("flops") ? sec.getAsJsonObject("flops").get("score").getAsDouble() : 0;
            String key = name + "(" + params + ")";
            String value;
            if (flops > 0) {
                value = String.format(Locale.ROOT, "%8.1f GFLOP/s", flops / 1e9);
                rate.put(key, flops);
            } else {
                value = String.format(Locale.ROOT, "%8.2f GB/s  ", bytes / 1e9);
                rate.put(key, bytes);
            }
            lines.add(String.format(Locale.ROOT, "| %-48s | %-22s | %10.2f ops/s | %s |", name, params, ops, value));
        }
        System.out.println();
        System.out.println("JMH summary (bytes: widening = 16-bit source bytes, layer load = checkpoint bytes, residual = real-token bytes)");
        lines.forEach(System.out::println);
        System.out.println();
        ratio(rate, "WideningBench.bf16ToF32", "WideningBench.copySourceBytes", "BF16->FP32 widening vs a copy of the same source bytes");
        ratio(rate, "WideningBench.bf16ToF32", "WideningBench.copyWidenedBytes", "BF16->FP32 widening vs a copy of the FP32 bytes it writes (per source byte)");
        for (var e : rate.entrySet()) {
            if (e.getKey().startsWith("BlockForwardBench")) {
                String h = e.getKey().replaceAll(".*hidden=(\\d+).*", "$1");
                Double gemm = rate.get("MatmulBench.matmul(hidden=" + h + ")");
                if (gemm != null) {
                    System.out.printf(Locale.ROOT, "%s: %.0f%% of DJL's GEMM rate at H=%s%n", e.getKey(), 100 * e.getValue() / gemm, h);
                }
            }
        }
    }

    private static void ratio(Map<String, Double> rate, String a, String b, String what) {
        Double x = rate.entrySet().stream().filter(e -> e.getKey().startsWith(a + "(")).map(Map.Entry::getValue).findFirst().orElse(null);
        Double y = rate.entrySet().stream().filter(e -> e.getKey().startsWith(b + "(")).map(Map.Entry::getValue).findFirst().orElse(null);
        if (x != null && y != null && y > 0) {
            System.out.printf(Locale.ROOT, "%s: %.2fx (%.2f vs %.2f GB/s)%n", what, x / y, x / 1e9, y / 1e9);
        }
    }
}
