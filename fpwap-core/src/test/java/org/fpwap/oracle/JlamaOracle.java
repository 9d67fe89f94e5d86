package org.fpwap.oracle;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.model.functions.EmbedInput;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.JsonSupport;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.Optional;
import jdk.incubator.vector.FloatVector;

/**
 * Test-only oracle: the per-layer hidden states of a Hugging Face checkpoint as
 * <a href="https://github.com/tjake/Jlama">Jlama</a> 0.8.4 computes them, to compare fpwap's
 * extraction against an independent implementation.
 *
 * <pre>{@code
 * try (JlamaOracle o = JlamaOracle.load(modelDir)) {
 *     float[][][] h = o.hiddenStates(new int[] {1, 42, 7});   // h[l][t][k]
 * }
 * }</pre>
 *
 * <p><b>Input.</b> A directory with {@code config.json} and F32 weights ({@code model.safetensors},
 * or shards listed in {@code model.safetensors.index.json}); the family is chosen by Jlama from
 * {@code model_type}: {@code llama}, {@code mistral}, {@code qwen2}, {@code gemma}, {@code gpt2}
 * (Jlama's {@code LlamaModel}, {@code MistralModel}, {@code Qwen2Model}, {@code GemmaModel},
 * {@code GPT2Model}; other Jlama types may work but are untested). No tokenizer is needed: the
 * model is built directly, not through {@code ModelSupport.loadModel}, with a {@code null}
 * tokenizer (Jlama only uses it for text prompts, which this class never passes), so the
 * model directory is only read, never written to, and no temporary directory is created.
 *
 * <p><b>Output.</b> {@code hidden[l][t][k]} for {@code l = 0..numLayers}: {@code hidden[0]} is the
 * embedding output (the input of block 0, including Gemma's {@code sqrt(H)} scaling and GPT-2's
 * position embeddings), {@code hidden[l + 1]} is the output of block {@code l}; no final norm is
 * applied. Token ids go straight in (no BOS is added); positions start at 0.
 *
 * <p><b>How.</b> The model is instantiated with {@code InferenceType.FORWARD_PASS} (embeddings +
 * blocks, no output head), working dtype F32. A prompt runs as one batch:
 * {@code embedInput.batchInputsToEmbeddings(ids, 0)} then {@code transformerBlocks[l].forward(x, 0,
 * kv, Optional.empty())} per layer, with a fresh ephemeral KV buffer per prompt. Each block output is
 * copied to a Java array before the previous tensor is closed (Jlama recycles closed tensors through
 * a global pool). Unlike {@code AbstractModel.batchForward}, prompts are not chunked at 256 tokens.
 *
 * <p><b>Kernels.</b> Jlama's model code (embeddings, RMSNorm/LayerNorm, RoPE, softmax, activations,
 * KV cache, block structure) always runs as is. Its tensor operations (matmul, axpy, accumulate)
 * come from {@code TensorOperationsProvider}: by default Jlama's pure-Java Panama (Vector API)
 * kernels ({@link Kernels#PANAMA}). Those have no remainder loops, so for checkpoints whose sizes
 * are not multiples of the SIMD lane count ({@link #panamaIncompatibility}; e.g. the real
 * {@code stories260K}: head_dim 8, intermediate 172, on a 16-lane AVX-512 machine) they throw or read
 * neighbouring rows; {@link #load(Path)} then picks {@link Kernels#SCALAR}, a test-side scalar F32
 * implementation of the same interface ({@link JlamaScalarOps}). Check {@link #kernels()}.
 *
 * <p><b>Jlama global state</b> (all process-wide):
 * <ul>
 *   <li>{@code TensorOperationsProvider} picks its implementation once, at first use. This class
 *       sets {@code jlama.force_panama_tensor_operations=true} before that, so the Panama path is
 *       used even if {@code jlama-native} is on the class path, and fails fast if some earlier code
 *       already selected another implementation. For {@link Kernels#SCALAR} it swaps the provider's
 *       private static {@code instance} (by reflection) for the duration of one prompt and puts the
 *       Panama one back; all of this class's Jlama calls hold one global lock, so prompts from
 *       different oracles never overlap (do not use Jlama directly in the same JVM meanwhile).</li>
 *   <li>The same initialiser sets the system property
 *       {@code jdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0}, which, if the Vector API is not yet
 *       initialised, disables its bounds checks for the whole JVM (including fpwap's own Vector API
 *       code). This class initialises the Vector API first (so the checks stay on) and restores the
 *       property afterwards.</li>
 *   <li>{@code TensorCache.instance}: a global 100 MB pool of recycled working tensors, shared by
 *       all Jlama models in the JVM; {@code PhysicalCoreExecutor.instance}: a global fork-join pool
 *       of max(2, cores/2) threads.</li>
 * </ul>
 *
 * <p><b>Limits and deviations</b> (Jlama's; see FACTS.md and {@code JlamaQuirksTest}): F32
 * checkpoints only; {@code hidden_act: gelu} is computed as tanh-GELU; Qwen2/Mistral configs
 * without {@code rope_theta} get no RoPE at all; Mistral with heads × head_dim &gt; hidden drops
 * heads; Gemma ignores {@code head_dim} and rounds √H to BF16; GPT-2 reads {@code n_ctx} (not
 * {@code n_positions}) and tensor names without the {@code transformer.} prefix; Qwen2, Mistral,
 * Gemma and GPT-2 configs need an integer {@code eos_token_id} (Llama also accepts a list). Calls
 * are serialised (one global lock).
 */
public final class JlamaOracle implements AutoCloseable {

    private static final String FORCE_PANAMA = "jlama.force_panama_tensor_operations";
    private static final String VECTOR_OOB_CHECK = "jdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK";
    private static final TensorOperations PANAMA_OPS = initJlamaGlobals();

    /** Serialises every use of Jlama by this class: {@code TensorOperationsProvider} is global. */
    private static final Object JLAMA_LOCK = new Object();
    private static final Field PROVIDER_INSTANCE = providerField("instance");
    private static final Object PANAMA_PROVIDER;
    private static final Object SCALAR_PROVIDER;

    static {
        try {
            PANAMA_PROVIDER = PROVIDER_INSTANCE.get(null);
            Constructor<TensorOperationsProvider> ctor = TensorOperationsProvider.class.getDeclaredConstructor();
            ctor.setAccessible(true);
            SCALAR_PROVIDER = ctor.newInstance();
            providerField("provider").set(SCALAR_PROVIDER, new JlamaScalarOps());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Which implementation of Jlama's tensor operations (matmul, axpy, ...) runs the prompt. */
    public enum Kernels {
        /** Jlama's own pure-Java Vector API kernels ({@code PanamaTensorOperations}). */
        PANAMA,
        /**
         * {@link JlamaScalarOps}: scalar F32 kernels with Panama's indexing contract, for checkpoints
         * whose sizes Panama cannot handle; all model code is still Jlama's.
         */
        SCALAR
    }

    private static final Field EMBED_INPUT = field("embedInput");
    private static final Field TRANSFORMER_BLOCKS = field("transformerBlocks");

    private final Path modelDir;
    private final WeightLoader weights;
    private final AbstractModel model;
    private final Config config;
    private final EmbedInput embed;
    private final TransformerBlock[] blocks;
    private final KvBufferCache kvCache;
    private final int maxPromptLength;
    private final Kernels kernels;
    private boolean closed;

    private JlamaOracle(Path modelDir, Kernels requested) throws IOException {
        this.modelDir = modelDir;
        File configFile = modelDir.resolve("config.json").toFile();
        if (!configFile.isFile()) {
            throw new IOException("no config.json in " + modelDir);
        }
        ModelSupport.ModelType type = SafeTensorSupport.detectModel(configFile);
        this.config = JsonSupport.om.readValue(configFile, type.configClass);
        // No setWorkingDirectory: KV pages then come from Jlama's in-memory tensor pool, not files.
        this.weights = SafeTensorSupport.loadWeights(modelDir.toFile());
        try {
            if (weights.getModelDType() != DType.F32) {
                throw new IllegalArgumentException("Jlama oracle needs F32 weights, got " + weights.getModelDType());
            }
            this.model = type.modelClass
                .getConstructor(
                    AbstractModel.InferenceType.class,
                    Config.class,
                    WeightLoader.class,
                    Tokenizer.class,
                    DType.class,
                    DType.class,
                    Optional.class
                )
                .newInstance(AbstractModel.InferenceType.FORWARD_PASS, config, weights, null, DType.F32, DType.F32, Optional.empty());
            this.embed = (EmbedInput) EMBED_INPUT.get(model);
            this.blocks = (TransformerBlock[]) TRANSFORMER_BLOCKS.get(model);
        } catch (InvocationTargetException e) {
            closeQuietly(weights);
            throw new IllegalStateException("Jlama could not build " + type + " from " + modelDir, e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            closeQuietly(weights);
            throw new IllegalStateException("Jlama could not build " + type + " from " + modelDir, e);
        }
        this.kvCache = new KvBufferCache(model);
        this.maxPromptLength = maxPromptLength(config);
        this.kernels = requested != null ? requested : (panamaIncompatibility(config) == null ? Kernels.PANAMA : Kernels.SCALAR);
    }

    /**
     * Loads the model in {@code modelDir} once; ask it many prompts, then close it. Uses Jlama's
     * Panama kernels when the model's sizes allow them ({@link #panamaIncompatibility}), else the
     * scalar ones; {@link #kernels()} tells which.
     */
    public static JlamaOracle load(Path modelDir) {
        return load(modelDir, null);
    }

    /**
     * As {@link #load(Path)} with an explicit kernel choice ({@code null} = automatic). Forcing
     * {@link Kernels#PANAMA} on a model with incompatible sizes makes Jlama throw (or, where its
     * reads stay inside a buffer, silently compute garbage); that is what the tests demonstrate.
     */
    public static JlamaOracle load(Path modelDir, Kernels kernels) {
        synchronized (JLAMA_LOCK) {
            try {
                return new JlamaOracle(modelDir, kernels);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * One-shot convenience: loads {@code modelDir}, runs one prompt, closes.
     *
     * @return {@code hidden[l][t][h]} for {@code l = 0..numLayers}: {@code hidden[0]} = embeddings
     *     (input of block 0), {@code hidden[l + 1]} = output of block {@code l}, with no final norm
     */
    public static float[][][] hiddenStates(Path modelDir, int[] tokenIds) {
        try (JlamaOracle o = load(modelDir)) {
            return o.hiddenStates(tokenIds);
        }
    }

    /**
     * Runs one prompt from position 0 with a fresh KV cache.
     *
     * @param tokenIds token ids, each in {@code [0, vocabSize)}, at least one, at most
     *     {@link #maxPromptLength()}
     * @return {@code hidden[l][t][h]} for {@code l = 0..numLayers}: {@code hidden[0]} = embeddings
     *     (input of block 0), {@code hidden[l + 1]} = output of block {@code l}, with no final norm
     */
    public synchronized float[][][] hiddenStates(int[] tokenIds) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (tokenIds.length == 0 || tokenIds.length > maxPromptLength) {
            throw new IllegalArgumentException("prompt length " + tokenIds.length + " not in [1, " + maxPromptLength + "]");
        }
        for (int id : tokenIds) {
            if (id < 0 || id >= config.vocabularySize) {
                throw new IllegalArgumentException("token id " + id + " outside [0, " + config.vocabularySize + ")");
            }
        }
        synchronized (JLAMA_LOCK) {
            setProvider(kernels == Kernels.SCALAR ? SCALAR_PROVIDER : PANAMA_PROVIDER);
            try {
                return forward(tokenIds);
            } finally {
                setProvider(PANAMA_PROVIDER);
            }
        }
    }

    private float[][][] forward(int[] tokenIds) {
        int t = tokenIds.length;
        int h = config.embeddingLength;
        float[][][] out = new float[blocks.length + 1][][];
        try (KvBufferCache.KvBuffer kv = kvCache.getEphemeralKvBuffer()) {
            AbstractTensor x = embed.batchInputsToEmbeddings(tokenIds.clone(), 0);
            if (x.dims() != 2) {
                // Defensive: the blocks require [T, H] (Jlama's TensorShape already turns 1-D into [1, n]).
                AbstractTensor x2 = model.makeDenseTensor(1, h);
                x2.copyFrom(x, 0, 0, h);
                x.close();
                x = x2;
            }
            try {
                out[0] = copy(x, t, h);
                for (int l = 0; l < blocks.length; l++) {
                    AbstractTensor y = blocks[l].forward(x, 0, kv, Optional.empty());
                    out[l + 1] = copy(y, t, h);
                    x.close();
                    x = y;
                }
            } finally {
                x.close();
            }
        }
        return out;
    }

    /**
     * Like {@link #hiddenStates(int[])} but feeds the prompt one token at a time (position p attends to the KV cache
     * of positions before it): Jlama's Mixtral mixes tokens up when given several at once (FACTS.md).
     */
    public synchronized float[][][] hiddenStatesTokenByToken(int[] tokenIds) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        int h = config.embeddingLength;
        float[][][] out = new float[blocks.length + 1][tokenIds.length][];
        synchronized (JLAMA_LOCK) {
            setProvider(kernels == Kernels.SCALAR ? SCALAR_PROVIDER : PANAMA_PROVIDER);
            try (KvBufferCache.KvBuffer kv = kvCache.getEphemeralKvBuffer()) {
                for (int p = 0; p < tokenIds.length; p++) {
                    AbstractTensor x = embed.batchInputsToEmbeddings(new int[] {tokenIds[p]}, p);
                    try {
                        out[0][p] = copy(x, 1, h)[0];
                        for (int l = 0; l < blocks.length; l++) {
                            AbstractTensor y = blocks[l].forward(x, p, kv, Optional.empty());
                            out[l + 1][p] = copy(y, 1, h)[0];
                            x.close();
                            x = y;
                        }
                    } finally {
                        x.close();
                    }
                }
            } finally {
                setProvider(PANAMA_PROVIDER);
            }
        }
        return out;
    }

    /** Number of transformer blocks; {@link #hiddenStates(int[])} returns one more entry. */
    public int numLayers() {
        return blocks.length;
    }

    /** The hidden (embedding) size H. */
    public int hiddenSize() {
        return config.embeddingLength;
    }

    /** The vocabulary size as Jlama read it from config.json. */
    public int vocabSize() {
        return config.vocabularySize;
    }

    /**
     * The longest prompt accepted: Jlama's context length (from {@code max_position_embeddings},
     * or {@code n_ctx} for GPT-2) minus the extra positions its RoPE table lookup runs ahead by.
     * (Jlama indexes its cos/sin table with {@code pos * d/2 + kvHead * d + i}, i.e. each head is
     * rotated as if it sat {@code 2 * kvHead} positions later; harmless for attention, which only
     * sees relative angles, but it reads past the table for the last positions.)
     */
    public int maxPromptLength() {
        return maxPromptLength;
    }

    /** Jlama's model family for this checkpoint. */
    public ModelSupport.ModelType modelType() {
        return model.getModelType();
    }

    /** The checkpoint directory. */
    public Path modelDir() {
        return modelDir;
    }

    /** The tensor-operation kernels this instance runs prompts with. */
    public Kernels kernels() {
        return kernels;
    }

    /**
     * Why Jlama's Panama kernels cannot run a model with this config on this machine, or
     * {@code null} if they can. With {@code L} = the preferred float SIMD lane count (16 with
     * AVX-512), its F32 kernels have no remainder loops, so hidden size, heads × head_dim,
     * KV heads × head_dim, head_dim and intermediate size must be multiples of {@code L}, and
     * {@code maccumulate} requires the intermediate size to be a multiple of 8.
     */
    public static String panamaIncompatibility(Config c) {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        StringBuilder why = new StringBuilder();
        check(why, "hidden_size", c.embeddingLength, lanes);
        check(why, "heads*head_dim", c.attentionLength, lanes);
        check(why, "kv_heads*head_dim", c.kvLength, lanes);
        check(why, "head_dim", c.headSize, lanes);
        check(why, "intermediate_size", c.hiddenLength, lanes);
        check(why, "intermediate_size", c.hiddenLength, 8);
        return why.isEmpty() ? null : why.toString();
    }

    private static void check(StringBuilder why, String what, int value, int multiple) {
        if (value % multiple != 0) {
            why.append(why.isEmpty() ? "" : "; ").append(what).append('=').append(value)
                .append(" is not a multiple of ").append(multiple);
        }
    }

    /** Jlama's parsed config for this checkpoint. */
    public Config jlamaConfig() {
        return config;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (JLAMA_LOCK) {
            model.close();
            closeQuietly(weights);
        }
    }

    private static int maxPromptLength(Config c) {
        if (c.ropeFreqs.isEmpty()) {
            return c.contextLength;
        }
        int shiftHeads = c.isGQA ? c.numberOfKeyValueHeads : Math.min(c.numberOfHeads, c.embeddingLength / c.headSize);
        return Math.max(0, c.contextLength - 2 * (shiftHeads - 1));
    }

    private static float[][] copy(AbstractTensor x, int t, int h) {
        if (x.shape().first() != t || x.shape().last() != h) {
            throw new IllegalStateException("unexpected Jlama tensor shape " + x.shape() + ", wanted [" + t + ", " + h + "]");
        }
        float[][] r = new float[t][h];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < h; j++) {
                r[i][j] = x.get(i, j);
            }
        }
        return r;
    }

    private static void setProvider(Object provider) {
        try {
            PROVIDER_INSTANCE.set(null, provider);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field providerField(String name) {
        try {
            Field f = TensorOperationsProvider.class.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static Field field(String name) {
        try {
            Field f = AbstractModel.class.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // best effort: only file handles
        }
    }

    /**
     * Selects Jlama's pure-Java Panama tensor operations while keeping the Vector API's bounds checks
     * on; see the class Javadoc.
     */
    private static TensorOperations initJlamaGlobals() {
        String oldOob = System.getProperty(VECTOR_OOB_CHECK);
        String oldForce = System.getProperty(FORCE_PANAMA);
        try {
            // Initialise the Vector API's internal bounds-check flag with the JVM's setting before
            // Jlama's TensorOperationsProvider sets it to 0.
            Class.forName("jdk.incubator.vector.VectorIntrinsics", true, ClassLoader.getPlatformClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(
                new IllegalStateException("Jlama needs --add-modules=jdk.incubator.vector", e)
            );
        }
        System.setProperty(FORCE_PANAMA, "true");
        TensorOperations ops;
        try {
            ops = TensorOperationsProvider.get();
        } finally {
            restore(VECTOR_OOB_CHECK, oldOob);
            restore(FORCE_PANAMA, oldForce);
        }
        if (!ops.getClass().getSimpleName().equals("PanamaTensorOperations")) {
            throw new ExceptionInInitializerError(
                new IllegalStateException("Jlama already uses " + ops.name() + ", not the Panama operations; run the oracle in its own JVM")
            );
        }
        return ops;
    }

    private static void restore(String key, String old) {
        if (old == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, old);
        }
    }

}
