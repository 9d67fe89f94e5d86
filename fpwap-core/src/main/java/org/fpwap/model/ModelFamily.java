package org.fpwap.model;

import java.util.Arrays;
import java.util.Optional;

/**
 * The transformer families fpwap computes exactly. Each is identified by the {@code model_type} key
 * of a Hugging Face {@code config.json}.
 */
public enum ModelFamily {
    LLAMA("llama"),
    MISTRAL("mistral"),
    QWEN2("qwen2"),
    GEMMA("gemma"),
    GPT2("gpt2"),
    QWEN3("qwen3"),
    OLMO2("olmo2"),
    PHI3("phi3"),
    GEMMA2("gemma2"),
    GEMMA3_TEXT("gemma3_text"),
    MIXTRAL("mixtral"),
    QWEN2_MOE("qwen2_moe"),
    DEEPSEEK_V2("deepseek_v2");

    private final String modelType;

    ModelFamily(String modelType) {
        this.modelType = modelType;
    }

    /** The {@code model_type} string Hugging Face uses for this family. */
    public String modelType() {
        return modelType;
    }

    /** Every supported {@code model_type}, comma-separated, for messages. */
    public static String supportedList() {
        return String.join(", ", Arrays.stream(values()).map(ModelFamily::modelType).toList());
    }

    /** The family whose {@code model_type} is {@code modelType}, if we support it. */
    public static Optional<ModelFamily> fromModelType(String modelType) {
        return Arrays.stream(values()).filter(f -> f.modelType.equals(modelType)).findFirst();
    }
}
