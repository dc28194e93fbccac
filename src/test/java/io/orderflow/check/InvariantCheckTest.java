package io.orderflow.check;

import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check finds a confirmed order whose reservations differ from its lines, summed per SKU
 * (real H2; the orders here have no events, so only this invariant is looked at).
 */
class InvariantCheckTest {

    @TempDir
    Path dir;

    private Database db;

    @BeforeEach
    void open() {
        db = Database.open(Settings.load(Map.of(), new Properties(), Map.of("orderflow.data-dir", dir.toString(), "orderflow.db.embedded", "h2")));
        db.migrate(100);
        stock("MUG", 100);
        stock("BOOK", 100);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void should_accept_reservations_that_match_the_lines_summed_per_sku() {
        confirmed("O-1", "MUG", 2, "MUG", 1, "BOOK", 1);
        reserve("O-1", "MUG", 3);
        reserve("O-1", "BOOK", 1);

        assertThat(new InvariantCheck(db.jdbc()).run().violations())
                .filteredOn(v -> v.contains("reserved lines differ")).isEmpty();
    }

    @Test
    void should_name_each_line_reserved_wrongly_or_not_at_all() {
        confirmed("O-2", "MUG", 2, "BOOK", 1);
        reserve("O-2", "MUG", 1);
        confirmed("O-3", "BOOK", 1);

        assertThat(new InvariantCheck(db.jdbc()).run().violations())
                .filteredOn(v -> v.contains("reserved lines differ"))
                .containsExactlyInAnyOrder(
                        "order O-2: reserved lines differ from the order's lines (sku MUG)",
                        "order O-2: reserved lines differ from the order's lines (sku BOOK)",
                        "order O-3: reserved lines differ from the order's lines (sku BOOK)");
    }

    private void stock(String sku, int onHand) {
        db.jdbc().update("INSERT INTO stock_item (sku, on_hand, reserved, updated_at) VALUES (?, ?, 0, CURRENT_TIMESTAMP)", sku, onHand);
    }

    private void confirmed(String orderId, Object... skuQuantity) {
        db.jdbc().update("INSERT INTO orders (order_id, customer_email, content, source, status, placed_at) "
                + "VALUES (?, 'a@example.com', '{}', 'test', 'CONFIRMED', CURRENT_TIMESTAMP)", orderId);
        for (int i = 0; i < skuQuantity.length; i += 2) {
            db.jdbc().update("INSERT INTO order_line (order_id, line_no, sku, quantity) VALUES (?, ?, ?, ?)",
                    orderId, i / 2 + 1, skuQuantity[i], skuQuantity[i + 1]);
        }
    }

    private void reserve(String orderId, String sku, int quantity) {
        db.jdbc().update("INSERT INTO stock_reservation (order_id, sku, quantity) VALUES (?, ?, ?)", orderId, sku, quantity);
        db.jdbc().update("UPDATE stock_item SET reserved = reserved + ? WHERE sku = ?", quantity, sku);
    }
}
