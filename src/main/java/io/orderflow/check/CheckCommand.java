package io.orderflow.check;

import io.orderflow.config.Settings;
import io.orderflow.db.Database;

import java.io.PrintStream;

/** {@code java -jar orderflow.jar check}: runs the invariant check against the configured database. */
public final class CheckCommand {

    private CheckCommand() {
    }

    /** @return the exit code: 0 all invariants hold, 1 a violation, 2 the check could not run */
    public static int run(Settings settings, PrintStream out) {
        // while the service runs, check reads its embedded PostgreSQL rather than refusing
        try (Database db = Database.openShared(settings)) {
            // the horizon comes from the database, recorded by the retention runs that deleted:
            // this process's orderflow.retention.* need not be the service's
            InvariantCheck.Report report = new InvariantCheck(db.jdbc()).run();
            out.println("orderflow check: " + report.orders() + " orders in " + db.describe()
                    + (report.checkedSince() == null ? "" : ", those placed since " + report.checkedSince()
                    + " (older ones' events may have been deleted by retention)"));
            report.violations().forEach(v -> out.println("VIOLATION " + v));
            report.pending().forEach(p -> out.println("pending   " + p));
            if (report.ok()) {
                out.println(report.pending().isEmpty() ? "OK: every invariant holds, nothing pending"
                        : "OK: every invariant holds; work still in flight is listed as pending");
                return 0;
            }
            out.println("FAILED: " + report.violations().size() + " violations");
            return 1;
        } catch (RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            StringBuilder chain = new StringBuilder();
            for (Throwable t = e; t != null && chain.length() < 10_000; t = t.getCause()) {
                chain.append(t.getMessage()).append('\n');
            }
            if (chain.toString().contains("locked") || chain.toString().contains("already in use")) {
                out.println("orderflow check: the H2 database is in use by a running orderflow; stop it first (or use PostgreSQL)");
            } else {
                out.println("orderflow check: cannot read the database: " + message);
            }
            return 2;
        }
    }
}
