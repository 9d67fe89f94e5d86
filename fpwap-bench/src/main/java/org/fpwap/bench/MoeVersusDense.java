package org.fpwap.bench;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.fpwap.dataset.Sample;
import org.fpwap.device.Devices;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;

/**
 * Benchmark row 6: a Mixtral (4 experts of width I/2, top 2) against a Llama of the same shape whose dense MLP has width
 * I: the same active parameters per token (plus the router's 4·H), so equal tok/s would mean the MoE's gathers,
 * per-expert GEMMs and scatter cost nothing. Both streamed with the same prompts after one warm-up sweep each; the MoE
 * model stages all 4 experts per layer (2x the dense MLP's weight bytes).
 */
final class MoeVersusDense {

    private MoeVersusDense() {}

    /** The row's table cells; its details go into {@code json} and {@code notes}. */
    static String[] run(EndToEnd.Config c, JsonObject json, List<String> notes) {
        EndToEnd.Shape3 dense = c.f32Model();
        EndToEnd.Shape3 moe = new EndToEnd.Shape3(ModelFamily.MIXTRAL, dense.dtype(), dense.hidden(), dense.heads(),
                dense.kvHeads(), dense.headDim(), dense.intermediate() / 2, dense.layers(), dense.vocab());
        Path denseDir = dense.dir();
        Path moeDir = moe.dir();
        ModelSpec spec = BenchModels.spec(denseDir);
        List<Sample> prompts = Prompts.random(c.f32Prompts(), c.f32Min(), c.f32Max(), spec.vocabSize(), 17);
        long tokens = Prompts.tokens(prompts);
        EndToEnd.sweepOnce(denseDir, prompts, c.f32Microbatch());
        EndToEnd.sweepOnce(moeDir, prompts, c.f32Microbatch());
        JsonObject d = EndToEnd.sweepOnce(denseDir, prompts, c.f32Microbatch());
        JsonObject m = EndToEnd.sweepOnce(moeDir, prompts, c.f32Microbatch());
        JsonObject row = new JsonObject();
        row.addProperty("moe_model", moe.describe() + ", 4 experts top 2");
        row.addProperty("dense_model", dense.describe());
        row.add("moe", m);
        row.add("dense", d);
        json.add("moe_vs_dense", row);
        double moeTps = m.get("tok_per_s").getAsDouble();
        double denseTps = d.get("tok_per_s").getAsDouble();
        notes.add(String.format(Locale.ROOT, "MoE row: forward %.2f s (MoE) vs %.2f s (dense); weights read %.1f MB vs %.1f MB "
                        + "(the MoE stages all experts); one warm-up sweep each excluded",
                m.get("forward_s").getAsDouble(), d.get("forward_s").getAsDouble(),
                m.get("weight_bytes_read").getAsLong() / 1e6, d.get("weight_bytes_read").getAsLong() / 1e6));
        return new String[] {"6", "MoE (4 experts x I/2, top 2) vs dense of the same active parameters (I)",
                moe.describe(), Integer.toString(prompts.size()), Long.toString(tokens),
                String.format(Locale.ROOT, "%,.0f tok/s", moeTps), String.format(Locale.ROOT, "%,.0f tok/s", denseTps),
                String.format(Locale.ROOT, "%.2fx", moeTps / denseTps), "(report)", "-"};
    }

    /** Runs only this row: {@code MoeVersusDense [--quick]}. */
    public static void main(String[] args) {
        Devices.prepareComputeThread();
        EndToEnd.Config c = args.length > 0 && args[0].equals("--quick") ? EndToEnd.QUICK : EndToEnd.DEFAULT;
        List<String> notes = new java.util.ArrayList<>();
        String[] cells = run(c, new JsonObject(), notes);
        String[] head = {"#", "comparison", "model", "N", "tokens", "ours", "baseline", "ratio", "target", "met"};
        for (int i = 0; i < head.length; i++) {
            System.out.println(head[i] + ": " + cells[i]);
        }
        notes.forEach(n -> System.out.println("- " + n));
    }
}
