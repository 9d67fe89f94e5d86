package org.fpwap.model;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Typed, strict access to one {@code config.json} object (or a nested object of it): every error is a
 * {@link ModelConfigException} naming the file and the key path. Family readers use it so that each
 * reads its own keys with one vocabulary of checks.
 */
public final class ConfigFields {

    private final Path file;
    private final JsonObject json;
    private final String keyPrefix;

    /** Access to {@code json}, the contents of {@code file}. */
    public ConfigFields(Path file, JsonObject json) {
        this(file, json, "");
    }

    private ConfigFields(Path file, JsonObject json, String keyPrefix) {
        this.file = file;
        this.json = requireNonNull(json, "json is null");
        this.keyPrefix = keyPrefix;
    }

    /** The file, for error messages. */
    public Path file() {
        return file;
    }

    /** A failure naming this file. */
    public ModelConfigException error(String message) {
        return new ModelConfigException(file, message);
    }

    /** The key as it appears in messages ({@code rope_scaling.factor} for nested objects). */
    public String path(String key) {
        return keyPrefix + key;
    }

    /** Whether {@code key} is present and not null. */
    public boolean has(String key) {
        JsonElement v = json.get(key);
        return v != null && !v.isJsonNull();
    }

    /** Whether {@code key} appears at all, even with the value null (some families read null as "off"). */
    public boolean present(String key) {
        return json.has(key);
    }

    /** The raw element under {@code key} (null when absent or JSON null). */
    public JsonElement raw(String key) {
        JsonElement v = json.get(key);
        return v == null || v.isJsonNull() ? null : v;
    }

    /** The nested object under {@code key}, if present and not null; any other JSON value is an error. */
    public Optional<ConfigFields> object(String key) {
        JsonElement v = raw(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isJsonObject()) {
            throw error(path(key) + " must be an object or null, got " + v);
        }
        return Optional.of(new ConfigFields(file, v.getAsJsonObject(), path(key) + "."));
    }

    /**
     * These fields with every key of {@code defaults} that is absent here added (for sub-configs whose HF class
     * supplies defaults for keys the file leaves out, such as a multimodal model's {@code text_config}).
     */
    public ConfigFields withDefaults(JsonObject defaults) {
        JsonObject merged = json.deepCopy();
        for (var e : defaults.entrySet()) {
            if (!merged.has(e.getKey())) {
                merged.add(e.getKey(), e.getValue());
            }
        }
        return new ConfigFields(file, merged, keyPrefix);
    }

    public String requiredString(String key) {
        JsonElement v = json.get(key);
        if (v == null || v.isJsonNull() || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw error("missing string key \"" + path(key) + "\", got " + v);
        }
        return v.getAsString();
    }

    public Optional<String> optionalString(String key) {
        JsonElement v = raw(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw error("\"" + path(key) + "\" must be a string, got " + v);
        }
        return Optional.of(v.getAsString());
    }

    public int requiredInt(String key) {
        return optionalInt(key).orElseThrow(() -> error("missing integer key \"" + path(key) + "\""));
    }

    /** A positive integer under {@code key}, if present. */
    public OptionalInt optionalInt(String key) {
        return optionalInt(key, 1);
    }

    /** An integer of at least {@code min} under {@code key}, if present. */
    public OptionalInt optionalInt(String key, int min) {
        JsonElement v = raw(key);
        if (v == null) {
            return OptionalInt.empty();
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw error("\"" + path(key) + "\" must be an integer, got " + v);
        }
        double d = v.getAsDouble();
        if (d != Math.rint(d) || d < min || d > Integer.MAX_VALUE) {
            throw error("\"" + path(key) + "\" must be " + (min == 1 ? "a positive integer" : "an integer of at least " + min)
                    + ", got " + v);
        }
        return OptionalInt.of((int) d);
    }

    public Optional<Double> optionalDouble(String key) {
        JsonElement v = raw(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw error("\"" + path(key) + "\" must be a number, got " + v);
        }
        return Optional.of(v.getAsDouble());
    }

    /** A number under {@code key} that must be positive. */
    public double positive(String key) {
        double d = optionalDouble(key).orElseThrow(() -> error("\"" + path(key) + "\" must be a number, got null"));
        if (!(d > 0)) {
            throw error("\"" + path(key) + "\" must be positive, got " + d);
        }
        return d;
    }

    public Optional<Boolean> optionalBoolean(String key) {
        JsonElement v = raw(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
            throw error("\"" + path(key) + "\" must be true or false, got " + v);
        }
        return Optional.of(v.getAsBoolean());
    }

    /** The activation named under {@code key}, or {@code defaultName} when absent. */
    public Activation activation(String key, String defaultName) {
        String name = optionalString(key).orElse(defaultName);
        return switch (name) {
            case "silu", "swish" -> Activation.SILU;
            case "gelu_new", "gelu_pytorch_tanh" -> Activation.GELU_TANH;
            case "gelu" -> Activation.GELU_ERF;
            default -> throw error(path(key) + " \"" + name
                    + "\" is not supported (supported: silu, gelu, gelu_new, gelu_pytorch_tanh)");
        };
    }

    /** Fails when {@code key} is set to anything but false/null: it would change the math and we do not compute it. */
    public void rejectIfTrue(String key) {
        JsonElement v = raw(key);
        if (v == null) {
            return;
        }
        boolean set = v.isJsonPrimitive() && (v.getAsJsonPrimitive().isBoolean() ? v.getAsBoolean() : true);
        if (set) {
            throw error(path(key) + "=" + v + " changes the math and is not supported");
        }
    }

    /** Fails when {@code key} is present with a number other than {@code expected}. */
    public void rejectIfPresentAndNot(String key, double expected) {
        Optional<Double> v = optionalDouble(key);
        if (v.isPresent() && v.get() != expected) {
            throw error(path(key) + "=" + v.get() + " is not supported (only " + expected + ")");
        }
    }
}
