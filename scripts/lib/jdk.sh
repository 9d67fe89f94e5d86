# Sourced by the fpwap scripts: sets JAVA_HOME to a JDK >= 25 or exits with a clear message.
# Order: $JAVA_HOME, then /usr/lib/jvm/temurin-25*, then any JDK under /usr/lib/jvm, then `java` on PATH.

fpwap_java_major() { # prints the feature version of the java at $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

fpwap_find_jdk() {
  local candidates=() c major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*; do [ -d "$c" ] && candidates+=("$c"); done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major=$(fpwap_java_major "$c/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$c"
      return 0
    fi
  done
  echo "fpwap: no JDK 25 or newer found (looked at \$JAVA_HOME, /usr/lib/jvm/temurin-25*, /usr/lib/jvm/*, and java on PATH)." >&2
  echo "fpwap: install one (e.g. Eclipse Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
}

# The JVM flags every fpwap process needs on Java 25 (see SPEC.md): Arrow's reflective and Unsafe
# access, native access for DJL/JNA and FFM, and never a download at run time.
FPWAP_JVM_FLAGS=(--add-opens=java.base/java.nio=ALL-UNNAMED --enable-native-access=ALL-UNNAMED
  --sun-misc-unsafe-memory-access=allow -Dai.djl.offline=true)
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
# libtorch's OpenMP threads spin while they wait for work; on a machine whose cores are busy with anything else
# the spinning takes the cores the working threads need (5,000 prompts of a small model: 13-35 s instead of 6 s
# beside two busy processes). Waiting passively cost nothing measurable on a quiet machine (3.3 vs 3.4 s; H=1024:
# 5.7 vs 5.7 s). A value the user set wins.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
