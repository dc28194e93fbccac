package io.orderflow.flow;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The embedded H2 is closed under the running flow, as H2 does itself when its disk fills: it is
 * shut down, then held in H2's exclusive mode 2, so every connection opened before is closed (its
 * work and its rollback fail) and every new one is refused, until repaired.
 */
class H2ClosedDatabaseTest extends DatabaseFailureContract {

    private Connection holder;

    @Override
    protected void breakDatabase() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("SHUTDOWN");
        }
        holder = connect();
        try (Statement s = holder.createStatement()) {
            s.execute("SET EXCLUSIVE 2");
        }
    }

    @Override
    protected void repairDatabase() throws SQLException {
        try (Statement s = holder.createStatement()) {
            s.execute("SET EXCLUSIVE 0");
        }
        holder.close();
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(settings.dbUrl(), settings.get("orderflow.db.user"), settings.get("orderflow.db.password"));
    }
}
