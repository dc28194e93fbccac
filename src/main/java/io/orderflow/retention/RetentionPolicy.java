package io.orderflow.retention;

import io.orderflow.config.Settings;
import io.orderflow.config.SettingsException;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * How long orderflow keeps what it no longer needs to run: published outbox rows (the event
 * history that replay reads), processed-event rows (the stock and email services' records of what
 * they applied), sent or discarded notifications, done/ and error/ files, and .eml files.
 * Each is an ISO-8601 duration (P7D, PT12H); empty keeps it forever.
 *
 * <p>The records that make a consumer idempotent must outlive every way an event can come back:
 * a broker redelivery (at most orderflow.broker.max-delivery-attempts, each at most
 * orderflow.retry.max-delay-ms apart) and a replay from the outbox history. So the processed-event
 * and notification retentions may not be shorter than the outbox retention nor than that
 * redelivery window; such a configuration is refused at startup.
 */
public record RetentionPolicy(Optional<Duration> outbox, Optional<Duration> processedEvents, Optional<Duration> notifications,
                              Optional<Duration> files, Optional<Duration> mailFiles, int batchSize) {

    public static RetentionPolicy from(Settings settings) {
        RetentionPolicy policy = new RetentionPolicy(duration(settings, "orderflow.retention.outbox"),
                duration(settings, "orderflow.retention.processed-events"), duration(settings, "orderflow.retention.notifications"),
                duration(settings, "orderflow.retention.files"), duration(settings, "orderflow.retention.mail-files"),
                settings.getInt("orderflow.retention.batch-size"));
        Duration redelivery = Duration.ofMillis(settings.getLong("orderflow.retry.max-delay-ms")
                * settings.getLong("orderflow.broker.max-delivery-attempts"));
        policy.requireAtLeast("orderflow.retention.processed-events", policy.processedEvents, redelivery, policy.outbox);
        policy.requireAtLeast("orderflow.retention.notifications", policy.notifications, redelivery, policy.outbox);
        return policy;
    }

    private void requireAtLeast(String key, Optional<Duration> dedup, Duration redelivery, Optional<Duration> replay) {
        if (dedup.isEmpty()) {
            return;
        }
        if (replay.isEmpty()) {
            throw new SettingsException(key + " (" + dedup.get() + ") is shorter than orderflow.retention.outbox (forever): "
                    + "a replayed event would be applied twice; keep it forever too (empty) or bound the outbox's");
        }
        if (dedup.get().compareTo(replay.get()) < 0) {
            throw new SettingsException(key + " (" + dedup.get() + ") is shorter than orderflow.retention.outbox (" + replay.get()
                    + "), the replay window: a replayed event would be applied twice");
        }
        if (dedup.get().compareTo(redelivery) < 0) {
            throw new SettingsException(key + " (" + dedup.get() + ") is shorter than the broker's redelivery window (" + redelivery
                    + " = orderflow.broker.max-delivery-attempts x orderflow.retry.max-delay-ms): a redelivered event would be applied twice");
        }
    }

    private static Optional<Duration> duration(Settings settings, String key) {
        String value = settings.get(key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            Duration d = Duration.parse(value);
            if (d.isNegative() || d.isZero()) {
                throw new SettingsException(key + " must be a positive ISO-8601 duration such as P7D or PT12H (empty keeps forever), not '"
                        + value + "'");
            }
            return Optional.of(d);
        } catch (DateTimeParseException e) {
            throw new SettingsException(key + " must be an ISO-8601 duration such as P7D or PT12H (empty keeps forever), not '"
                    + value + "'");
        }
    }
}
