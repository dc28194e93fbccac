package io.orderflow.operate;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which dead letters an operator means: by source (a queue or notifications), event type, order
 * id, a piece of the failure reason, and age. Each field is optional; none means all. Parsed from
 * query parameters or a request body's "filter", with a 400 for a value that makes no sense.
 */
public record DeadLetterFilter(String source, String eventType, String orderId, String reason, Duration olderThan) {

    static final Set<String> SOURCES = Set.of(DeadLetter.EVENTS, DeadLetter.REJECTED_ORDERS, DeadLetter.NOTIFICATIONS);
    private static final Set<String> FIELDS = Set.of("source", "eventType", "orderId", "reason", "olderThan");

    public static DeadLetterFilter from(Map<String, ?> values) {
        for (String key : values.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new BadRequestException("unknown filter '" + key + "' (filters: " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
            }
        }
        String source = text(values, "source");
        if (source != null && !SOURCES.contains(source)) {
            throw new BadRequestException("unknown source '" + source + "' (sources: " + DeadLetter.EVENTS + ", "
                    + DeadLetter.REJECTED_ORDERS + ", " + DeadLetter.NOTIFICATIONS + ")");
        }
        Duration olderThan = null;
        String age = text(values, "olderThan");
        if (age != null) {
            try {
                olderThan = Duration.parse(age);
            } catch (DateTimeParseException e) {
                throw new BadRequestException("olderThan must be an ISO-8601 duration such as PT30M or P2D, not '" + age + "'");
            }
            if (olderThan.isNegative()) {
                throw new BadRequestException("olderThan must not be negative: '" + age + "'");
            }
        }
        return new DeadLetterFilter(source, text(values, "eventType"), text(values, "orderId"), text(values, "reason"), olderThan);
    }

    private static String text(Map<String, ?> values, String key) {
        Object v = values.get(key);
        if (v == null || String.valueOf(v).isBlank()) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new BadRequestException(key + " must be a string");
        }
        return s.trim();
    }

    boolean includes(String source) {
        return this.source == null || this.source.equals(source);
    }

    /** The JMS message selector for a dead-letter queue, over messages parked at or before {@code now}. */
    String selector(Instant now) {
        List<String> terms = new ArrayList<>();
        // never messages parked after the operation began: a retried event that fails again comes back
        terms.add("JMSTimestamp <= " + now.toEpochMilli());
        if (olderThan != null) {
            terms.add("JMSTimestamp < " + now.minus(olderThan).toEpochMilli());
        }
        if (eventType != null) {
            terms.add("eventType = " + quoted(eventType));
        }
        if (orderId != null) {
            terms.add("orderId = " + quoted(orderId));
        }
        if (reason != null) {
            String like = quoted("%" + reason.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
            terms.add("(failureReason LIKE " + like + " ESCAPE '!' OR rejectReason LIKE " + like + " ESCAPE '!')");
        }
        return String.join(" AND ", terms);
    }

    static String quoted(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
