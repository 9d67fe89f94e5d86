package org.fpwap.run;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What makes two runs the same run: named entries (model fingerprint, dataset digest, every option that
 * changes outputs, each callback's description), in a fixed order. A resume must match its journal's.
 *
 * @param entries name → value, in order
 */
public record RunIdentity(Map<String, String> entries) {

    public RunIdentity {
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /** One line per entry that differs: {@code name: the journal has X, this run has Y}. Empty when equal. */
    public List<String> differencesFrom(RunIdentity journal) {
        Set<String> names = new LinkedHashSet<>(journal.entries.keySet());
        names.addAll(entries.keySet());
        List<String> out = new ArrayList<>();
        for (String name : names) {
            String was = journal.entries.get(name);
            String now = entries.get(name);
            if (was == null || !was.equals(now)) {
                out.add(name + ": the journal has " + (was == null ? "nothing" : "\"" + was + "\"") + ", this run has "
                        + (now == null ? "nothing" : "\"" + now + "\""));
            }
        }
        return out;
    }
}
