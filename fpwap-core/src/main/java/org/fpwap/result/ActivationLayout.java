package org.fpwap.result;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fpwap.callback.Store;
import java.util.TreeMap;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The shape of an activation file and its Arrow schema: the single place that names the columns.
 *
 * <pre>
 * sample_id   int64 not null
 * label       int64 (nullable)
 * activation  fixed_size_list&lt;item: float32 not null&gt;[H] not null             (pooled)
 *             list&lt;item: fixed_size_list&lt;item: float32 not null&gt;[H] not null&gt; not null  (ragged)
 * metadata    hidden_size = H, ragged = true|false
 * </pre>
 *
 * <p>Compressed stores (schema metadata {@code store = bf16|int8}; absent means f32) change the item type:
 * BF16 is {@code uint16} (the bfloat16 bit patterns; Arrow has no bfloat16) with {@code dtype = bfloat16} in
 * the {@code activation} field's metadata; INT8 is {@code int8} ({@code dtype = int8}) plus a column
 * {@code scale}, {@code float32 not null} (pooled) or {@code list<float32 not null>} (ragged, one per token),
 * with {@code value = int8 × scale}.
 *
 * @param hiddenSize the vector length H, at least 1
 * @param ragged whether each row holds a list of vectors rather than exactly one
 * @param store how the values are stored
 */
record ActivationLayout(int hiddenSize, boolean ragged, Store store) {

    static final String SAMPLE_ID = "sample_id";
    static final String LABEL = "label";
    static final String ACTIVATION = "activation";
    static final String ITEM = "item";
    static final String HIDDEN_SIZE_KEY = "hidden_size";
    static final String RAGGED_KEY = "ragged";
    static final String STORE_KEY = "store";
    static final String SCALE = "scale";
    /** Field metadata key on {@code activation} naming the element type of compressed stores. */
    static final String DTYPE_KEY = "dtype";

    ActivationLayout {
        if (hiddenSize < 1) {
            throw new IllegalArgumentException("hiddenSize must be at least 1, got " + hiddenSize);
        }
        requireNonNull(store, "store is null");
    }

    /** An FP32 layout. */
    ActivationLayout(int hiddenSize, boolean ragged) {
        this(hiddenSize, ragged, Store.F32);
    }

    /** The Arrow schema of files with this layout, including its metadata. */
    Schema schema() {
        Field sampleId = new Field(SAMPLE_ID, FieldType.notNullable(new ArrowType.Int(64, true)), null);
        Field label = new Field(LABEL, FieldType.nullable(new ArrowType.Int(64, true)), null);
        if (store == Store.F32) {
            // FP32 files keep the schema they always had. Sorted metadata, not Map.of: its iteration order changes
            // from JVM to JVM, and so would the file's bytes.
            return new Schema(List.of(sampleId, label, activationField()),
                    new TreeMap<>(Map.of(HIDDEN_SIZE_KEY, Integer.toString(hiddenSize), RAGGED_KEY, Boolean.toString(ragged))));
        }
        Map<String, String> metadata = new TreeMap<>(Map.of(HIDDEN_SIZE_KEY, Integer.toString(hiddenSize),
                RAGGED_KEY, Boolean.toString(ragged), STORE_KEY, store.wireName()));
        return new Schema(store == Store.INT8
                ? List.of(sampleId, label, activationField(), scaleField())
                : List.of(sampleId, label, activationField()), metadata);
    }

    private Field activationField() {
        ArrowType itemType = switch (store) {
            case F32 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case BF16 -> new ArrowType.Int(16, false);
            case INT8 -> new ArrowType.Int(8, true);
        };
        Map<String, String> fieldMetadata = switch (store) {
            case F32 -> null;
            case BF16 -> Map.of(DTYPE_KEY, "bfloat16");
            case INT8 -> Map.of(DTYPE_KEY, "int8", SCALE, SCALE);
        };
        Field values = new Field(ITEM, FieldType.notNullable(itemType), null);
        ArrowType vectorType = new ArrowType.FixedSizeList(hiddenSize);
        if (!ragged) {
            return new Field(ACTIVATION, new FieldType(false, vectorType, null, fieldMetadata), List.of(values));
        }
        Field vector = new Field(ITEM, FieldType.notNullable(vectorType), List.of(values));
        return new Field(ACTIVATION, new FieldType(false, ArrowType.List.INSTANCE, null, fieldMetadata), List.of(vector));
    }

    private Field scaleField() {
        ArrowType single = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
        if (!ragged) {
            return new Field(SCALE, FieldType.notNullable(single), null);
        }
        Field item = new Field(ITEM, FieldType.notNullable(single), null);
        return new Field(SCALE, FieldType.notNullable(ArrowType.List.INSTANCE), List.of(item));
    }

    /**
     * Reads the layout of an activation file from its schema and checks the column types.
     *
     * @param schema the file's schema
     * @param file the file, named in errors
     * @return the layout
     * @throws IllegalArgumentException when the schema is not that of an activation file
     */
    static ActivationLayout fromSchema(Schema schema, Path file) {
        Map<String, String> metadata = schema.getCustomMetadata();
        String hidden = metadata == null ? null : metadata.get(HIDDEN_SIZE_KEY);
        String raggedValue = metadata == null ? null : metadata.get(RAGGED_KEY);
        if (hidden == null || raggedValue == null) {
            throw new IllegalArgumentException(file + " is not an fpwap activation file: schema metadata "
                    + "must hold '" + HIDDEN_SIZE_KEY + "' and '" + RAGGED_KEY + "', found " + metadata);
        }
        ActivationLayout layout;
        try {
            String storeValue = metadata.getOrDefault(STORE_KEY, Store.F32.wireName());
            layout = new ActivationLayout(Integer.parseInt(hidden), Boolean.parseBoolean(raggedValue),
                    Store.fromWireName(storeValue));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": invalid schema metadata " + HIDDEN_SIZE_KEY + "='"
                    + hidden + "' or " + STORE_KEY + "='" + metadata.get(STORE_KEY) + "': " + e.getMessage(), e);
        }
        for (Field expected : layout.schema().getFields()) {
            Field actual = findField(schema, expected.getName(), file);
            if (!sameTypes(expected, actual)) {
                throw new IllegalArgumentException(file + ": column '" + expected.getName() + "' has type "
                        + actual + ", expected " + expected);
            }
        }
        return layout;
    }

    private static Field findField(Schema schema, String name, Path file) {
        return schema.getFields().stream()
                .filter(f -> f.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(file + " is not an fpwap activation file: "
                        + "no column '" + name + "' among " + schema.getFields()));
    }

    /** Compares types recursively, ignoring child names and nullability (other writers differ there). */
    private static boolean sameTypes(Field expected, Field actual) {
        if (!expected.getType().equals(actual.getType())
                || expected.getChildren().size() != actual.getChildren().size()) {
            return false;
        }
        for (int i = 0; i < expected.getChildren().size(); i++) {
            if (!sameTypes(expected.getChildren().get(i), actual.getChildren().get(i))) {
                return false;
            }
        }
        return true;
    }
}
