package io.orderflow.infra;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An order's trace id, as W3C Trace Context defines it (https://www.w3.org/TR/trace-context/):
 * 32 lowercase hex digits, not all zero. Taken from a {@code traceparent} property
 * ({@code 00-<trace-id>-<parent-id>-<flags>}) when an order message carries a valid one, and
 * generated otherwise; every event of the order carries it.
 */
public final class TraceContext {

    public static final String TRACEPARENT = "traceparent";
    private static final Pattern HEADER = Pattern.compile("([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?");
    private static final SecureRandom RANDOM = new SecureRandom();

    private TraceContext() {
    }

    /** The trace id of a valid traceparent; empty for a missing, malformed or invalid one (version ff, zero ids). */
    public static Optional<String> traceId(String traceparent) {
        if (traceparent == null) {
            return Optional.empty();
        }
        Matcher m = HEADER.matcher(traceparent.trim());
        if (!m.matches() || m.group(1).equals("ff") || m.group(2).matches("0+") || m.group(3).matches("0+")
                || (m.group(1).equals("00") && m.group(5) != null)) {
            return Optional.empty();
        }
        return Optional.of(m.group(2));
    }

    public static String newTraceId() {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    /** A traceparent to pass the trace on (a new span id, sampled). */
    public static String traceparent(String traceId) {
        byte[] span = new byte[8];
        RANDOM.nextBytes(span);
        return "00-" + traceId + "-" + HexFormat.of().formatHex(span) + "-01";
    }
}
