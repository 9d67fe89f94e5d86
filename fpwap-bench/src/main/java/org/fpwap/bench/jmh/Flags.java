package org.fpwap.bench.jmh;

/** The JVM flags every fork needs on Java 25 (FACTS.md), for {@code @Fork(jvmArgsAppend = ...)}. */
final class Flags {
    private Flags() {}

    static final String ADD_OPENS = "--add-opens=java.base/java.nio=ALL-UNNAMED";
    static final String NATIVE = "--enable-native-access=ALL-UNNAMED";
    static final String UNSAFE = "--sun-misc-unsafe-memory-access=allow";
    static final String VECTOR = "--add-modules=jdk.incubator.vector";
    static final String OFFLINE = "-Dai.djl.offline=true";
}
