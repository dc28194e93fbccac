package io.orderflow.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.orderflow.config.Settings;
import io.orderflow.infra.Failures;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import javax.sql.DataSource;

/**
 * The connection pool, the schema (Flyway) and the transaction manager that every state change
 * and its outbox rows commit through.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final HikariDataSource dataSource;
    private final Dialect dialect;
    private final Transactions transactions;
    private final JdbcTemplate jdbc;

    private final EmbeddedPostgresServer embedded;
    private final String description;

    private Database(HikariDataSource dataSource, Dialect dialect, int statementTimeoutSeconds,
                     EmbeddedPostgresServer embedded, String description) {
        this.embedded = embedded;
        this.description = description;
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.jdbc = new JdbcTemplate(dataSource);
        if (dialect == Dialect.H2) {
            // PostgreSQL enforces the bound itself (statement_timeout, set on each connection); a JDBC query
            // timeout would make pgjdbc schedule and cancel a timer task for every statement
            this.jdbc.setQueryTimeout(statementTimeoutSeconds);
        }
        DataSourceTransactionManager txManager = new DataSourceTransactionManager(dataSource);
        this.transactions = new Transactions(txManager);
    }

    /** Opens the configured database, starting the embedded PostgreSQL first if it is the one. */
    public static Database open(Settings settings) {
        return open(settings, false);
    }

    /**
     * Like {@link #open(Settings)}, but attaches to the embedded PostgreSQL of a running orderflow
     * on the same data dir instead of failing (for read-only tools such as {@code check}).
     */
    public static Database openShared(Settings settings) {
        return open(settings, true);
    }

    private static Database open(Settings settings, boolean attach) {
        EmbeddedPostgresServer embedded = null;
        String url;
        String user = settings.get("orderflow.db.user");
        String password = settings.get("orderflow.db.password");
        String description;
        if (settings.embeddedPostgres()) {
            embedded = attach ? EmbeddedPostgresServer.startOrAttach(settings.dataDir(), settings.portsToBind())
                    : EmbeddedPostgresServer.start(settings.dataDir(), settings.portsToBind());
            url = embedded.url();
            user = embedded.user();
            password = "";
            description = "embedded PostgreSQL under " + settings.dataDir().resolve("pg");
        } else {
            if (settings.get("orderflow.db.url").isEmpty() && settings.get("orderflow.db.embedded").equals("postgres")) {
                LOG.warn("No embedded PostgreSQL for {} {} in this jar (Linux x86-64 only): using the embedded H2 file instead",
                        System.getProperty("os.name"), System.getProperty("os.arch"));
            }
            url = settings.dbUrl();
            description = url.startsWith("jdbc:postgresql:") ? "PostgreSQL at " + url
                    : "H2 under " + settings.dataDir().resolve("db");
        }
        try {
            return open(settings, url, user, password, embedded, description);
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    private static Database open(Settings settings, String url, String user, String password,
                                 EmbeddedPostgresServer embedded, String description) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("orderflow-db");
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(settings.getInt("orderflow.db.pool-size"));
        config.setConnectionTimeout(Math.max(250, settings.getLong("orderflow.db.connect-timeout-ms")));
        config.setValidationTimeout(Math.max(250, Math.min(3000, settings.getLong("orderflow.db.connect-timeout-ms"))));
        config.setAutoCommit(true);
        // start even while the database is away: the first use waits for it, with a clear log line
        config.setInitializationFailTimeout(-1);
        // a connection to a closed, failed or read-only database is dropped, not handed out again
        config.setExceptionOverrideClassName(BrokenConnections.class.getName());
        if (url.startsWith("jdbc:postgresql:")) {
            // pgjdbc waits forever on a dead socket unless told otherwise
            config.addDataSourceProperty("connectTimeout", Math.max(1, settings.getLong("orderflow.db.connect-timeout-ms") / 1000));
            config.addDataSourceProperty("socketTimeout", settings.getLong("orderflow.db.statement-timeout-s") + 30);
            config.addDataSourceProperty("tcpKeepAlive", true);
            // the server cancels a statement that runs longer (a lock wait included), at no cost per statement
            config.addDataSourceProperty("options", "-c statement_timeout=" + settings.getLong("orderflow.db.statement-timeout-s") * 1000);
        }
        HikariDataSource ds = new HikariDataSource(config);
        Dialect dialect = url.startsWith("jdbc:postgresql:") ? Dialect.POSTGRESQL : Dialect.H2;
        return new Database(ds, dialect, settings.getInt("orderflow.db.statement-timeout-s"), embedded, description);
    }

    /** Applies the schema, waiting for a database that is not up yet. */
    public void migrate(long retryDelayMs) {
        long delay = Math.max(100, retryDelayMs);
        while (true) {
            try {
                Flyway.configure().dataSource(dataSource).locations("classpath:db/migration")
                        .load().migrate();
                return;
            } catch (RuntimeException e) {
                if (!DatabaseUnavailable.isCause(e)) {
                    throw e;
                }
                LOG.warn("Database {} not reachable ({}); retrying in {} ms", dataSource.getJdbcUrl(),
                        Failures.reason(e), delay);
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                delay = Math.min(delay * 2, 10_000);
            }
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Dialect dialect() {
        return dialect;
    }

    public Transactions transactions() {
        return transactions;
    }

    public JdbcTemplate jdbc() {
        return jdbc;
    }

    /** What this database is, for log lines: which kind, and where. */
    public String describe() {
        return description;
    }

    /** The JDBC URL in use (the embedded PostgreSQL's port is chosen at its start). */
    public String url() {
        return dataSource.getJdbcUrl();
    }

    /**
     * For a stop that ran out of time, just before the JVM halts: a fast shutdown of the embedded
     * PostgreSQL, waiting for it at most {@code wait}; uncommitted transactions roll back. Nothing
     * for another database, whose connections end with the JVM.
     */
    public void stopNow(java.time.Duration wait) {
        if (embedded != null) {
            embedded.stopNow(wait);
        }
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
