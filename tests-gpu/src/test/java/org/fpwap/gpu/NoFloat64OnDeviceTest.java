package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.callbacks.DiffOfMeans;
import org.fpwap.callbacks.IncrementalPCA;
import org.fpwap.callbacks.Pool;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.callbacks.SteerInBasis;
import org.fpwap.callbacks.SteeringVector;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * MPS has no FP64: a FLOAT64 tensor on the device fails there. Dataset-wide accumulators (PCA moments, class
 * sums) are FP64 on the host (Java {@code double[]}), never device tensors. Two checks keep it so, both on CPU:
 *
 * <ul>
 *   <li>Static: every class of fpwap-core and fpwap-callbacks is read with the JDK's class-file API and no
 *       method may load {@code DataType.FLOAT64}, pass a {@code double}/{@code double[]} to an NDManager or
 *       NDArray method (e.g. {@code create(double[])}), or box a {@code double} into an NDArray/NDManager
 *       {@code Number} parameter ({@code x.mul(0.5)} creates a FLOAT64 scalar on the device before promoting).
 *       This sees every code path, including ones no test runs, and short-lived temporaries.</li>
 *   <li>Runtime: a sweep of every family with the four reference callbacks, where a probe callback at every
 *       hook of every layer walks the live tensors of the sweep's managers and fails on any FLOAT64 one. This
 *       also sees what DJL creates inside its own ops.</li>
 * </ul>
 */
class NoFloat64OnDeviceTest {

    private static final Set<String> ND_TYPES = Set.of("ai/djl/ndarray/NDManager", "ai/djl/ndarray/NDArray",
            "ai/djl/ndarray/BaseNDManager", "ai/djl/ndarray/NDArrays", "ai/djl/ndarray/NDArrayAdapter",
            "ai/djl/pytorch/engine/PtNDManager", "ai/djl/pytorch/engine/PtNDArray", "ai/djl/nn/Activation",
            "ai/djl/nn/core/Linear");

    @TempDir
    Path tmp;

    @Test
    void noCoreOrCallbackCodeCanCreateAFloat64Tensor() throws Exception {
        List<String> violations = new ArrayList<>();
        int classes = scan(codeSource(Sweep.class), violations) + scan(codeSource(RawActivations.class), violations);
        assertTrue(classes > 100, "scanned " + classes + " classes");
        assertEquals(List.of(), violations, "code paths that would put FLOAT64 on the device (fails on MPS)");
    }

    @Test
    void theScannerCatchesEachForbiddenPattern() throws Exception {
        List<String> violations = new ArrayList<>();
        Path here = Path.of(Forbidden.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ClassModel model = ClassFile.of().parse(here.resolve(Forbidden.class.getName().replace('.', '/') + ".class"));
        check(model, violations);
        assertEquals(3, violations.size(), String.join("\n", violations));
    }

    /** Code the scanner must flag: three ways to get FLOAT64 on the device. */
    @SuppressWarnings("unused")
    static final class Forbidden {
        static NDArray half(NDArray x) {
            return x.mul(0.5);
        }

        static NDArray doubles(NDManager m) {
            return m.create(new double[] {1, 2});
        }

        static NDArray widen(NDArray x) {
            return x.toType(DataType.FLOAT64, false);
        }
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void aSweepWithTheFourCallbacksNeverHoldsAFloat64Tensor(ModelFamily family) {
        Path model = Fixtures.model(tmp.resolve("model"), family);
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        float[] direction = new float[64];
        direction[1] = 1f;
        Callback probe = new Probe("float64-probe", Layers.all(), Set.of(Hook.values()), seen);
        Fixtures.run(model, Fixtures.prompts(), "cpu", 4, false, tmp.resolve("work"),
                SteerInBasis.at(Layers.of(1), SteeringVector.of(direction)).alpha(2f),
                RawActivations.at(Layers.all()).pool(Pool.MEAN), IncrementalPCA.at(Layers.of(0, 2)).components(3),
                DiffOfMeans.at(Layers.all()).pool(Pool.LAST), probe);
        assertEquals(List.of(), List.copyOf(seen));
    }

    /** At every hook: every live tensor under the sweep's base manager must not be FLOAT64. */
    private record Probe(String name, LayerSelection layers, Set<Hook> hooks, ConcurrentLinkedQueue<String> seen) implements Callback {
        @Override
        public CallbackAction onBatch(Batch batch) {
            NDManager m = batch.manager();
            while (m.getParentManager() != null && m.getParentManager() != m
                    && !m.getParentManager().getClass().getSimpleName().contains("SystemManager")) {
                m = m.getParentManager();
            }
            int count = 0;
            for (NDArray a : ((BaseNDManager) m).getManagedArrays()) {
                count++;
                if (a.getDataType() == DataType.FLOAT64) {
                    seen.add("layer " + batch.layer() + " " + batch.hook() + ": FLOAT64 tensor " + a.getShape());
                }
            }
            if (count == 0) {
                seen.add("the probe saw no tensors at layer " + batch.layer() + " " + batch.hook() + ": it checks nothing");
            }
            return CallbackAction.nothing();
        }
    }

    private static Path codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static int scan(Path location, List<String> violations) throws IOException {
        if (Files.isDirectory(location)) {
            return scanTree(location, violations);
        }
        try (FileSystem jar = FileSystems.newFileSystem(location)) {
            return scanTree(jar.getPath("/"), violations);
        }
    }

    private static int scanTree(Path root, List<String> violations) throws IOException {
        int n = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                check(ClassFile.of().parse(Files.readAllBytes(p)), violations);
                n++;
            }
        }
        return n;
    }

    private static void check(ClassModel cls, List<String> violations) {
        String owner = cls.thisClass().asInternalName();
        for (MethodModel method : cls.methods()) {
            CodeModel code = method.code().orElse(null);
            if (code == null) {
                continue;
            }
            String where = owner + "." + method.methodName().stringValue();
            int sinceDoubleBoxed = Integer.MAX_VALUE;
            for (CodeElement e : code) {
                if (!(e instanceof Instruction)) {
                    continue;
                }
                sinceDoubleBoxed = sinceDoubleBoxed == Integer.MAX_VALUE ? sinceDoubleBoxed : sinceDoubleBoxed + 1;
                if (e instanceof FieldInstruction f && f.owner().asInternalName().equals("ai/djl/ndarray/types/DataType")
                        && f.name().stringValue().equals("FLOAT64")) {
                    violations.add(where + ": uses DataType.FLOAT64");
                } else if (e instanceof InvokeInstruction inv) {
                    String target = inv.owner().asInternalName();
                    String name = inv.name().stringValue();
                    MethodTypeDesc type = inv.typeSymbol();
                    if (target.equals("java/lang/Double") && name.equals("valueOf")) {
                        sinceDoubleBoxed = 0;
                        continue;
                    }
                    if (!ND_TYPES.contains(target)) {
                        continue;
                    }
                    for (ClassDesc p : type.parameterList()) {
                        String d = p.descriptorString();
                        if (d.equals("D") || d.matches("\\[+D")) {
                            violations.add(where + ": passes " + d + " to " + target + "." + name + type.descriptorString());
                        } else if (d.equals("Ljava/lang/Number;") && sinceDoubleBoxed <= 3) {
                            violations.add(where + ": passes a boxed double to " + target + "." + name
                                    + " (a FLOAT64 scalar tensor on the device)");
                        }
                    }
                }
            }
        }
    }
}
