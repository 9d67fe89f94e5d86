package org.fpwap.hub;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The environment that decides where the local Hugging Face cache lives, passed in rather than read
 * from the process so tests (and embedding applications) can point fpwap at any cache.
 *
 * <p>The cache directory follows {@code huggingface_hub}'s {@code constants.py}: {@code HF_HUB_CACHE},
 * else the legacy {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}, else
 * {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}. A leading {@code ~}
 * in a variable is the user's home, as Python's {@code expanduser} reads it. Empty variables count as
 * unset.
 *
 * @param variables the environment variables (only the four above are read)
 * @param userHome the user's home directory, for {@code ~}
 */
public record HubEnvironment(Map<String, String> variables, Path userHome) {

    /** The variables that choose the cache, in the order they are consulted. */
    static final String[] VARIABLES = {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"};

    /** Copies the variables. */
    public HubEnvironment {
        variables = Map.copyOf(requireNonNull(variables, "variables is null"));
        requireNonNull(userHome, "userHome is null");
    }

    /** This process's environment and {@code user.home}. */
    public static HubEnvironment system() {
        return new HubEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The cache directory and how it was chosen.
     *
     * @return the hub cache (it need not exist)
     */
    public CacheRoot cacheRoot() {
        Optional<String> hubCache = variable("HF_HUB_CACHE");
        if (hubCache.isPresent()) {
            return new CacheRoot(expand(hubCache.get()), "$HF_HUB_CACHE");
        }
        Optional<String> legacy = variable("HUGGINGFACE_HUB_CACHE");
        if (legacy.isPresent()) {
            return new CacheRoot(expand(legacy.get()), "$HUGGINGFACE_HUB_CACHE");
        }
        Optional<String> home = variable("HF_HOME");
        if (home.isPresent()) {
            return new CacheRoot(expand(home.get()).resolve("hub"), "$HF_HOME/hub");
        }
        Optional<String> xdg = variable("XDG_CACHE_HOME");
        if (xdg.isPresent()) {
            return new CacheRoot(expand(xdg.get()).resolve("huggingface").resolve("hub"), "$XDG_CACHE_HOME/huggingface/hub");
        }
        return new CacheRoot(userHome.resolve(".cache").resolve("huggingface").resolve("hub"),
                "~/.cache/huggingface/hub, the default");
    }

    /** The variables that choose the cache with their values, for messages: {@code HF_HUB_CACHE unset, HF_HOME=/x}. */
    String describeVariables() {
        StringBuilder s = new StringBuilder();
        for (String name : VARIABLES) {
            if (!s.isEmpty()) {
                s.append(", ");
            }
            s.append(variable(name).map(v -> name + "=" + v).orElse(name + " unset"));
        }
        return s.toString();
    }

    private Optional<String> variable(String name) {
        return Optional.ofNullable(variables.get(name)).filter(v -> !v.isEmpty());
    }

    private Path expand(String value) {
        if (value.equals("~")) {
            return userHome;
        }
        if (value.startsWith("~/")) {
            return userHome.resolve(value.substring(2));
        }
        return Path.of(value);
    }

    /**
     * A hub cache directory.
     *
     * @param directory where {@code models--ORG--NAME} folders live
     * @param chosenBy the variable (or default) that chose it, for messages
     */
    public record CacheRoot(Path directory, String chosenBy) {
        /** Checks the fields. */
        public CacheRoot {
            requireNonNull(directory, "directory is null");
            requireNonNull(chosenBy, "chosenBy is null");
        }
    }
}
