package io.orderflow.stock;

import io.orderflow.db.Transactions;
import io.orderflow.intake.InboxFolder;
import io.orderflow.intake.RejectedInputException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies stock counts: each row sets a SKU's on-hand quantity (a count, not a delta), so
 * applying the same file twice changes nothing. Reservations are kept; available never goes
 * below zero.
 */
public final class StockLevels {

    private static final Logger LOG = LoggerFactory.getLogger(StockLevels.class);

    private final JdbcTemplate jdbc;
    private final Transactions transactions;
    private final InboxFolder folder;
    private final long maxFileSize;

    public StockLevels(JdbcTemplate jdbc, Transactions transactions, InboxFolder folder, long maxFileSize) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.folder = folder;
        this.maxFileSize = maxFileSize;
    }

    /** Route entry: a stock count file from the inbox. */
    public void acceptFile(Exchange exchange) throws IOException {
        File file = exchange.getIn().getBody(File.class);
        String name = exchange.getIn().getHeader(Exchange.FILE_NAME_ONLY, String.class);
        if (file.length() > maxFileSize) {
            throw new RejectedInputException("file is " + file.length() + " bytes, over the limit of " + maxFileSize + " bytes");
        }
        Map<String, Integer> counts = StockCountFile.parse(Files.readAllBytes(file.toPath()));
        apply(counts);
        folder.accepted(exchange);
        LOG.info("Applied stock count file {}: {} SKUs", name, counts.size());
    }

    public void apply(Map<String, Integer> counts) {
        transactions.inTransaction(() -> {
            Timestamp now = Timestamp.from(Instant.now());
            for (Map.Entry<String, Integer> c : counts.entrySet()) {
                // no portable upsert between H2 and PostgreSQL: update, else insert, else (raced) update
                if (jdbc.update("UPDATE stock_item SET on_hand = ?, updated_at = ? WHERE sku = ?", c.getValue(), now, c.getKey()) == 0
                        && jdbc.update("INSERT INTO stock_item (sku, on_hand, reserved, updated_at) VALUES (?, ?, 0, ?) "
                        + "ON CONFLICT DO NOTHING", c.getKey(), c.getValue(), now) == 0) {
                    jdbc.update("UPDATE stock_item SET on_hand = ?, updated_at = ? WHERE sku = ?", c.getValue(), now, c.getKey());
                }
            }
        });
    }

    /** The stock of one SKU for the API, or null if unknown. */
    public Map<String, Object> find(String sku) {
        List<Map<String, Object>> rows = jdbc.query("SELECT sku, on_hand, reserved FROM stock_item WHERE sku = ?",
                (rs, i) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    int onHand = rs.getInt(2);
                    int reserved = rs.getInt(3);
                    m.put("sku", rs.getString(1));
                    m.put("onHand", onHand);
                    m.put("reserved", reserved);
                    m.put("available", Math.max(0, onHand - reserved));
                    return m;
                }, sku);
        return rows.isEmpty() ? null : rows.get(0);
    }
}
