package org.fpwap.io;

/**
 * Gson's parse errors, worded for the person who has to fix the file: one line, without Gson's advice to
 * programmers (its troubleshooting link and "use lenient mode").
 */
public final class JsonErrors {
    private JsonErrors() {}

    /**
     * The one-line description of a JSON parse error.
     *
     * @param e the exception Gson threw
     * @return e.g. {@code malformed JSON at line 1 column 1 path $}
     */
    public static String describe(Exception e) {
        String message = String.valueOf(e.getMessage());
        int see = message.indexOf("\nSee ");
        message = see < 0 ? message : message.substring(0, see);
        message = message.replace("com.google.gson.stream.MalformedJsonException: ", "");
        return message.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON")
                .lines().findFirst().orElse("");
    }
}
