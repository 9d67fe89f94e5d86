package org.fpwap.result;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.fpwap.callback.Artifact;
import org.fpwap.forward.Hook;
import org.fpwap.profile.Profile;

/**
 * What a sweep produced: emitted activations (in dataset order, read from disk on demand), artifacts,
 * the profile and, when asked for, the verification report. Owns the emit files in the sweep's work
 * directory until {@link #export} moves them out; {@link #close()} deletes what was not exported.
 */
public final class Result implements AutoCloseable {

    private final Map<EmitStream, Path> emits;
    private final List<Artifact> artifacts;
    private final Profile profile;
    private final Optional<VerifyReport> verification;
    private final OptionalLong[] labels;
    private final Map<EmitStream, ActivationTable> open = new LinkedHashMap<>();
    private final Set<Path> owned;
    private boolean closed;

    /** Created by the sweep. */
    public Result(Map<EmitStream, Path> emits, List<Artifact> artifacts, Profile profile, Optional<VerifyReport> verification,
            OptionalLong[] labels) {
        this.emits = new LinkedHashMap<>(emits);
        this.artifacts = List.copyOf(artifacts);
        this.profile = requireNonNull(profile, "profile is null");
        this.verification = requireNonNull(verification, "verification is null");
        this.labels = labels.clone();
        this.owned = new HashSet<>(emits.values());
    }

    /** Samples in the dataset. */
    public int sampleCount() {
        return labels.length;
    }

    /** Every emit stream the sweep stored. */
    public List<EmitStream> streams() {
        return List.copyOf(emits.keySet());
    }

    /**
     * The activations emitted at ({@code layer}, {@code hook}), in dataset order. Fails if no callback or
     * several emitted there (then name the callback with {@link #activations(String, int, Hook)}).
     */
    public ActivationTable activations(int layer, Hook hook) {
        List<EmitStream> matches = emits.keySet().stream().filter(s -> s.layer() == layer && s.hook() == hook).toList();
        if (matches.size() != 1) {
            throw new IllegalArgumentException((matches.isEmpty() ? "no callback emitted" : "several callbacks emitted")
                    + " at layer " + layer + " hook " + hook + "; streams: " + emits.keySet());
        }
        return table(matches.getFirst());
    }

    /** The activations callback {@code callback} emitted at ({@code layer}, {@code hook}), in dataset order. */
    public ActivationTable activations(String callback, int layer, Hook hook) {
        EmitStream stream = new EmitStream(callback, layer, hook);
        if (!emits.containsKey(stream)) {
            throw new IllegalArgumentException("no stream " + stream + "; streams: " + emits.keySet());
        }
        return table(stream);
    }

    private ActivationTable table(EmitStream stream) {
        checkOpen();
        return open.computeIfAbsent(stream, s -> ActivationTable.open(emits.get(s), labels));
    }

    /** Every artifact, in the order produced. */
    public List<Artifact> artifacts() {
        return artifacts;
    }

    /** The artifact of {@code kind} for {@code layer} (at any hook, if only one). */
    public Artifact artifact(String kind, int layer) {
        return onlyArtifact(kind, layer, Optional.empty());
    }

    /** The artifact of {@code kind} for ({@code layer}, {@code hook}). */
    public Artifact artifact(String kind, int layer, Hook hook) {
        return onlyArtifact(kind, layer, Optional.of(hook));
    }

    private Artifact onlyArtifact(String kind, int layer, Optional<Hook> hook) {
        List<Artifact> matches = artifacts.stream()
                .filter(a -> a.kind().equals(kind) && a.layer().isPresent() && a.layer().getAsInt() == layer)
                .filter(a -> hook.isEmpty() || a.hook().equals(hook))
                .toList();
        if (matches.size() != 1) {
            throw new IllegalArgumentException((matches.isEmpty() ? "no" : matches.size() + "") + " artifact(s) of kind "
                    + kind + " at layer " + layer + hook.map(h -> " hook " + h).orElse("") + "; have "
                    + artifacts.stream().map(a -> a.kind() + "@" + a.layer() + a.hook().map(h -> "/" + h).orElse("")).toList());
        }
        return matches.getFirst();
    }

    /** Where the time and bytes went. */
    public Profile profile() {
        return profile;
    }

    /** The streaming-vs-naive check, when the sweep ran with {@code verify(true)}. */
    public Optional<VerifyReport> verification() {
        return verification;
    }

    /**
     * Writes everything to {@code dir} in the public layout: {@code layer-<L>/<hook>.arrow|.safetensors} per
     * emit stream (suffixed {@code .<callback>} when several callbacks emit at one hook), artifacts as
     * {@code layer-<L>/<hook>.<kind>.safetensors} (sweep-level: {@code <kind>.safetensors}; prefixed
     * {@code <callback>.} when several callbacks produce the same kind at one place) and
     * {@code profile.json}. Emit files are moved (safetensors) or converted (Arrow); later
     * {@link #activations} calls read the exported files. Returns the files written.
     */
    public List<Path> export(Path dir, OutputFormat format) {
        checkOpen();
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (Map.Entry<EmitStream, Path> e : emits.entrySet()) {
                EmitStream s = e.getKey();
                boolean shared = emits.keySet().stream().filter(o -> o.layer() == s.layer() && o.hook() == s.hook()).count() > 1;
                String stem = "layer-" + s.layer() + "/" + s.hook().wireName() + (shared ? "." + s.callback() : "");
                Path target = dir.resolve(stem + (format == OutputFormat.ARROW ? ".arrow" : ".safetensors"));
                Files.createDirectories(target.getParent());
                if (format == OutputFormat.ARROW) {
                    boolean openedHere = !open.containsKey(s);
                    ArrowActivationWriter.write(table(s), target);
                    if (openedHere) {
                        // Unmapped at once (a caller's own table stays open), so exports do not hold every file.
                        closeTable(s);
                    }
                } else {
                    closeTable(s);
                    Files.move(e.getValue(), target, StandardCopyOption.REPLACE_EXISTING);
                    owned.remove(e.getValue());
                    e.setValue(target);
                }
                written.add(target);
            }
            for (Artifact a : artifacts) {
                boolean shared = artifacts.stream().filter(o -> o.kind().equals(a.kind()) && o.layer().equals(a.layer())
                        && o.hook().equals(a.hook())).count() > 1;
                String suffix = (shared ? a.metadata().getOrDefault("callback", "") + "." : "") + a.kind() + ".safetensors";
                String name = a.layer().isPresent()
                        ? "layer-" + a.layer().getAsInt() + "/" + a.hook().map(h -> h.wireName() + ".").orElse("") + suffix
                        : suffix;
                Path target = dir.resolve(name);
                Files.createDirectories(target.getParent());
                written.add(a.write(target));
            }
            Path profileFile = dir.resolve("profile.json");
            Files.writeString(profileFile, profile.toJson(), StandardCharsets.UTF_8);
            written.add(profileFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export results to " + dir + ": " + e.getMessage(), e);
        }
        return Collections.unmodifiableList(written);
    }

    private void closeTable(EmitStream s) {
        ActivationTable t = open.remove(s);
        if (t != null) {
            t.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this Result has been closed already");
        }
    }

    /** Closes open tables and deletes emit files that were not exported. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        open.values().forEach(ActivationTable::close);
        open.clear();
        for (Path p : owned) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + p, e);
            }
        }
    }
}
