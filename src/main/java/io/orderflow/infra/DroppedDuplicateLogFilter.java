package io.orderflow.infra;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Silences the embedded broker's WARN for a dropped duplicate (AMQ222059, with the whole message
 * printed). After a restart the relay sends again every event published but not yet marked, and the
 * broker dropping them is the design working, not a fault: the relay says in one line per batch how
 * many it dropped (outbox/EventPublisher). Configured in logback.xml.
 */
public final class DroppedDuplicateLogFilter extends TurboFilter {

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        return format != null && format.startsWith("AMQ222059") ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
