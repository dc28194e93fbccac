package io.orderflow.config;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.broker.EventTopology;
import io.orderflow.broker.Reconnection;
import io.orderflow.broker.batch.BatchJmsComponent;
import io.orderflow.check.InvariantCheck;
import io.orderflow.db.Database;
import io.orderflow.email.FailedNotifications;
import io.orderflow.email.MailSink;
import io.orderflow.email.NotificationRecorder;
import io.orderflow.email.NotificationTemplates;
import io.orderflow.email.NotificationSender;
import io.orderflow.infra.DeadLetters;
import io.orderflow.infra.Failures;
import io.orderflow.infra.HttpGuard;
import io.orderflow.infra.OutageLog;
import io.orderflow.infra.StopDeadline;
import io.orderflow.infra.JsonResponse;
import io.orderflow.intake.InboxFolder;
import io.orderflow.intake.Inboxes;
import io.orderflow.intake.StableFiles;
import io.orderflow.observe.ConsumerMetrics;
import io.orderflow.observe.DependencyHealth;
import io.orderflow.observe.DiskSpace;
import io.orderflow.observe.FlowStatus;
import io.orderflow.stock.StockView;
import io.orderflow.observe.FlowSummary;
import io.orderflow.operate.AdminApi;
import io.orderflow.operate.DeadLetterDepth;
import io.orderflow.order.OrderFiles;
import io.orderflow.order.OrderFormat;
import io.orderflow.order.OrderIntake;
import io.orderflow.order.OrderMessages;
import io.orderflow.order.OrderRequests;
import io.orderflow.order.OrderStatus;
import io.orderflow.order.OrderSearch;
import io.orderflow.order.OrderView;
import io.orderflow.console.ConsoleFiles;
import io.orderflow.contract.ContractFiles;
import io.orderflow.outbox.EventConsumer;
import io.orderflow.outbox.Outbox;
import io.orderflow.outbox.OutboxRelay;
import io.orderflow.infra.worker.WorkerComponent;
import io.orderflow.retention.Retention;
import io.orderflow.retention.RetentionPolicy;
import io.orderflow.stock.StockLevels;
import io.orderflow.stock.StockReservation;
import io.orderflow.trace.OrderTraces;
import io.orderflow.trace.OtlpTraces;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Wires orderflow: database and schema, broker and its topology, the JMS component, each
 * service's beans and its outbox relay. Beans are bound under the names the routes use.
 */
public final class OrderflowConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(OrderflowConfiguration.class);

    private final Settings settings;
    private MeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public OrderflowConfiguration(Settings settings) {
        this.settings = settings;
    }

    private Database database;
    private StopDeadline deadline;
    private Warmup.Result warmup;
    private Warmup.Result connectedWarmup;

    /** A stop of the process is bounded by this deadline, which knows what to name and stop at the bound. */
    public OrderflowConfiguration stopWithin(StopDeadline deadline) {
        this.deadline = deadline;
        return this;
    }

    /** The database, once configured (tests and the invariant checker read it). */
    public Database database() {
        return database;
    }

    /** What the start-up warm-up did, once configured (tests read it). */
    public Warmup.Result warmup() {
        return warmup;
    }

    /** What the warm-up with the broker and database did (null with an external broker), once configured (tests read it). */
    public Warmup.Result connectedWarmup() {
        return connectedWarmup;
    }

    /** Bind under "metricsRegistry" before Camel starts, so that /observe/metrics shows orderflow's meters. */
    public MeterRegistry meters() {
        return meters;
    }

    /** The properties the routes and camel-main see, besides application.properties. */
    public static Map<String, String> camelProperties(Settings settings) {
        Map<String, String> p = new LinkedHashMap<>(settings.asMap());
        p.put("orderflow.routes-pattern", settings.routesPattern());
        // a broker outage is retried as often as the broker client reconnects (broker/Reconnection)
        p.put("orderflow.retry.broker-max-delay-ms", String.valueOf(
                Reconnection.outageRetryCeilingMs(settings.getLong("orderflow.retry.outage-max-delay-ms"))));
        for (String service : Settings.SERVICES) {
            p.put("orderflow.run." + service, String.valueOf(settings.runs(service)));
        }
        p.put("orderflow.admin.enabled", String.valueOf(!settings.get("orderflow.admin.token").isEmpty()));
        p.put("orderflow.shutdown.graceful-s", String.valueOf(
                StopDeadline.gracefulSeconds(java.time.Duration.ofMillis(settings.getLong("orderflow.shutdown.timeout-ms")))));
        p.put("orderflow.dir.orders", settings.dataDir().resolve("orders").toString());
        p.put("orderflow.dir.stock", settings.dataDir().resolve("stock").toString());
        p.put("orderflow.events.consumer-options", "maxBatch=" + settings.get("orderflow.events.batch-size")
                + "&consumers=" + settings.get("orderflow.events.concurrency"));
        p.put("orderflow.events.status-consumer-options", p.get("orderflow.events.consumer-options")
                + "&gatherMs=" + settings.get("orderflow.events.status-gather-ms"));
        return p;
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        Registry registry = context.getRegistry();
        // one registry for Camel's and orderflow's meters, whichever was bound first
        MeterRegistry bound = registry.lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        if (bound != null) {
            meters = bound;
        } else {
            registry.bind("metricsRegistry", meters);
        }

        if (deadline != null) {
            deadline.watch(context);
        }
        OrderFormat format = new OrderFormat();
        // first, alone on the cores: the JIT compiles what it ran while the database and broker start
        warmup = Warmup.run(settings.getLong("orderflow.startup.warmup-ms"), format, settings);
        Database db = Database.open(settings);
        this.database = db;
        context.addService(stopping("database", db::close), true, true);
        if (deadline != null) {
            deadline.atBound(db::stopNow);
        }
        db.migrate(settings.getLong("orderflow.retry.initial-delay-ms"));
        LOG.info("Database ready: {}", db.describe());

        String brokerUser = settings.get("orderflow.broker.user");
        String brokerPassword = settings.get("orderflow.broker.password");
        EmbeddedBroker broker = null;
        if (settings.brokerEmbedded()) {
            broker = new EmbeddedBroker(settings);
            broker.start();
            context.addService(stopping("broker", broker::close), true, true);
            LOG.info("Embedded broker listening on {}", settings.brokerListen());
        }
        declareTopology(brokerUser, brokerPassword);

        ActiveMQConnectionFactory connectionFactory = new ActiveMQConnectionFactory(settings.brokerUrl(), brokerUser, brokerPassword);
        if (settings.brokerEmbedded()) {
            connectionFactory.setCallTimeout(10_000);
        } else {
            // survive a broker restart or failover, onto whichever server of the URL serves
            Reconnection.apply(connectionFactory, settings.brokerUrl());
            LOG.info("Broker client: {}", Reconnection.describe());
        }
        if (settings.brokerEmbedded()) {
            // the broker's and the database's clients, and the broker's own code, before the first real order
            connectedWarmup = Warmup.connected(settings.getLong("orderflow.startup.connected-warmup-ms"), format, connectionFactory,
                    brokerUser, brokerPassword, db);
        }
        // built with its connection factory, never from a lone ConnectionFactory bean
        context.addComponent("jms-batch", new BatchJmsComponent(connectionFactory, brokerUser, brokerPassword));

        ConsumerMetrics consumerMetrics = new ConsumerMetrics(meters);
        // one line per interval and source for failures retried in place, not one per attempt
        OutageLog outages = new OutageLog(settings.getLong("orderflow.retry.outage-max-delay-ms"), meters);
        registry.bind("failures", new Failures(outages));
        if (OtlpTraces.wanted(settings, System.getenv())) {
            OtlpTraces otlp = OtlpTraces.start(settings, outages, meters);
            OrderTraces.install(otlp.traces());
            // stopped after the routes: what they traced is sent (for at most a few seconds)
            context.addService(stopping("traces", () -> {
                OrderTraces.install(OrderTraces.OFF);
                otlp.close();
            }), true, true);
        } else {
            OrderTraces.install(OrderTraces.OFF);
        }
        long maxFileSize = settings.getLong("orderflow.orders.max-file-size");
        int batch = settings.getInt("orderflow.outbox.batch-size");

        // order service
        Outbox orderOutbox = new Outbox("order", db.jdbc(), db.dialect());
        OrderIntake intake = new OrderIntake(db.jdbc(), db.transactions(), orderOutbox, meters);
        InboxFolder orderInbox = new InboxFolder("order", settings.dataDir().resolve("orders"), meters);
        registry.bind("orderFiles", new OrderFiles(format, intake, orderInbox, maxFileSize));
        registry.bind("orderMessages", new OrderMessages(format, intake, maxFileSize, meters));
        registry.bind("orderStatus", new EventConsumer("order", db.transactions(), consumerMetrics, new OrderStatus(db.jdbc())));
        registry.bind("orderView", new OrderView(db.jdbc()));
        registry.bind("orderSearch", new OrderSearch(db.jdbc()));
        registry.bind("stockView", new StockView(db.jdbc()));
        registry.bind("consoleFiles", new ConsoleFiles());
        registry.bind("contractFiles", new ContractFiles());

        // stock service
        Outbox stockOutbox = new Outbox("stock", db.jdbc(), db.dialect());
        InboxFolder stockInbox = new InboxFolder("stock", settings.dataDir().resolve("stock"), meters);
        registry.bind("stockLevels", new StockLevels(db.jdbc(), db.transactions(), stockInbox, maxFileSize));
        registry.bind("stockReservation", new EventConsumer("stock", db.transactions(), consumerMetrics,
                new StockReservation(db.jdbc(), stockOutbox)));

        // email service
        Outbox emailOutbox = new Outbox("email", db.jdbc(), db.dialect());
        MailSink sink = new MailSink(context.createProducerTemplate(), settings);
        // the notification-sender route runs it on orderflow.mail.concurrency threads: a slow mail
        // server delays one thread's batch, not the whole queue
        NotificationSender sender = new NotificationSender(db.jdbc(), db.transactions(), db.dialect(), emailOutbox, sink,
                settings.getLong("orderflow.mail.retry-initial-delay-ms"), settings.getLong("orderflow.mail.retry-max-delay-ms"),
                settings.getInt("orderflow.mail.batch-size"), meters);
        registry.bind("notificationSender", sender);
        registry.bind("notificationRecorder", new EventConsumer("email", db.transactions(), consumerMetrics,
                new NotificationRecorder(db.jdbc(),
                new NotificationTemplates(settings), sender::wake)));

        FailedNotifications failedNotifications = new FailedNotifications(db.jdbc(), sender::wake);
        RetentionPolicy retention = RetentionPolicy.from(settings);
        registry.bind("adminApi", AdminApi.create(settings.get("orderflow.admin.token"), connectionFactory, brokerUser, brokerPassword,
                db.jdbc(), db.transactions(), failedNotifications, connectionFactory.getServerLocator(), retention.outbox()));

        registry.bind("inboxes", new Inboxes(Map.of("order-files", orderInbox, "stock-files", stockInbox)));
        registry.bind("stableFiles", new StableFiles<>(settings.getLong("orderflow.files.stable-window-ms")));
        registry.bind("deadLetters", new DeadLetters(meters));
        registry.bind("jsonResponse", new JsonResponse());
        registry.bind("invariantCheck", new InvariantCheck(db.jdbc()));
        registry.bind("retention", new Retention(db.jdbc(), db.transactions(), db.dialect(), retention, settings.dataDir(), meters));

        // each service's relay, run by its routes in 60-relays.yaml (started where the service runs)
        context.addComponent("worker", new WorkerComponent(outages));
        for (Outbox outbox : new Outbox[] {orderOutbox, stockOutbox, emailOutbox}) {
            OutboxRelay relay = new OutboxRelay(outbox, db.transactions(), connectionFactory, brokerUser, brokerPassword, batch, meters);
            registry.bind(outbox.service() + "Relay", relay);
            if (settings.runs(outbox.service())) {
                // its marker thread; Camel stops it after the routes
                context.addService(relay, true, false);
                Gauge.builder("orderflow.outbox.backlog", outbox, o -> safe(o::backlog)).tag("service", outbox.service())
                        .description("Committed events not yet published").register(meters);
                Gauge.builder("orderflow.outbox.oldest.unpublished.age.seconds", outbox, o -> {
                    try {
                        return o.oldestPendingAgeSeconds();
                    } catch (RuntimeException e) {
                        return Double.NaN;
                    }
                }).tag("service", outbox.service()).description("Age of the oldest committed event not yet published").register(meters);
            }
        }

        DeadLetterDepth depth = new DeadLetterDepth(connectionFactory.getServerLocator(), brokerUser, brokerPassword, db.jdbc());
        for (String source : DeadLetterDepth.SOURCES) {
            Gauge.builder("orderflow.dead.letters", depth, d -> d.depth(source)).tag("source", source).strongReference(true)
                    .description("Dead letters waiting for an operator").register(meters);
        }

        // per-event lines are DEBUG; this says once a minute what the flow did
        context.addService(new FlowSummary(meters, 60), true, false);

        DiskSpace disk = new DiskSpace(context, settings.dataDir(), settings.getLong("orderflow.disk.min-free-mb") * 1024 * 1024, meters);
        registry.bind("diskSpace", disk);
        registry.bind("orderRequests", new OrderRequests(format, intake, new OrderView(db.jdbc()), maxFileSize, disk::ok, meters));
        // a body that trickles in is cut at the read timeout, one over the limit refused with a JSON reason
        context.addStartupListener(new HttpGuard(settings.getLong("orderflow.http.read-timeout-ms"), maxFileSize));
        registry.bind("diskHealth", new DependencyHealth("disk", disk::ok));
        Callable<Boolean> databaseUp = () -> db.jdbc().queryForObject("SELECT 1", Integer.class) == 1;
        registry.bind("databaseHealth", new DependencyHealth("database", databaseUp));
        EmbeddedBroker embedded = broker;
        Callable<Boolean> brokerUp = () -> {
            if (embedded != null && !embedded.isActive()) {
                throw new IllegalStateException(embedded.stoppedBecause().orElse("the embedded broker is not running"));
            }
            try (var connection = connectionFactory.createConnection()) {
                return true;
            }
        };
        registry.bind("brokerHealth", new DependencyHealth("broker", brokerUp));
        // the mail server is not part of health (notifications wait for it), but the console shows it
        Map<String, Callable<Boolean>> dependencies = new LinkedHashMap<>();
        dependencies.put("database", databaseUp);
        dependencies.put("broker", brokerUp);
        dependencies.put("disk", disk::ok);
        dependencies.put("mail", mailServerAnswers(settings));
        List<Outbox> running = java.util.stream.Stream.of(orderOutbox, stockOutbox, emailOutbox).filter(o -> settings.runs(o.service())).toList();
        registry.bind("flowStatus", new FlowStatus(meters, running, depth, dependencies));
    }

    /** In smtp mode, whether the server accepts a connection (2 s); in file mode, whether the mail folder can be written. */
    private static Callable<Boolean> mailServerAnswers(Settings settings) {
        if (settings.get("orderflow.mail.mode").equals("file")) {
            return () -> java.nio.file.Files.isWritable(settings.dataDir().resolve("mail"))
                    || !java.nio.file.Files.exists(settings.dataDir().resolve("mail"));
        }
        return () -> {
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(settings.get("orderflow.mail.smtp.host"),
                        settings.getInt("orderflow.mail.smtp.port")), 2000);
                return true;
            }
        };
    }

    private void declareTopology(String user, String password) throws InterruptedException {
        long delay = 1000;
        while (true) {
            try {
                EventTopology.declare(settings.brokerUrl(), user, password);
                return;
            } catch (Exception e) {
                LOG.warn("Broker {} not reachable ({}); retrying in {} ms", settings.brokerUrl(), e.getMessage(), delay);
                Thread.sleep(delay);
                delay = Math.min(delay * 2, 10_000);
            }
        }
    }

    private static double safe(java.util.function.LongSupplier supplier) {
        try {
            return supplier.getAsLong();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    private ServiceSupport stopping(String name, AutoCloseableAction action) {
        ServiceSupport service = new ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                action.close();
            }

            @Override
            public String toString() {
                return name;
            }
        };
        if (deadline != null) {
            deadline.track(service);
        }
        return service;
    }

    @FunctionalInterface
    private interface AutoCloseableAction {
        void close() throws Exception;
    }
}
