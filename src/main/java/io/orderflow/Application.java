package io.orderflow;

import io.orderflow.bench.Benchmark;
import io.orderflow.check.CheckCommand;
import io.orderflow.config.OrderflowConfiguration;
import io.orderflow.config.Preflight;
import io.orderflow.config.Settings;
import io.orderflow.config.SettingsException;
import io.orderflow.infra.StopDeadline;
import io.orderflow.operate.AdminCommand;
import org.apache.camel.main.Main;

import java.time.Duration;

/** Runs orderflow: {@code java -jar orderflow.jar}. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = Settings.load(System.getenv(), System.getProperties());
            if (args.length > 0 && args[0].equals("bench")) {
                System.exit(Benchmark.run(args));
                return;
            }
            if (args.length > 0 && args[0].equals("check")) {
                System.exit(CheckCommand.run(settings, System.out));
                return;
            }
            if (args.length > 0 && args[0].equals("dead-letters")) {
                System.exit(AdminCommand.run(settings, args, System.out));
                return;
            }
            if (args.length > 0 && args[0].equals("replay")) {
                System.exit(AdminCommand.replay(settings, args, System.out));
                return;
            }
            Preflight.check(settings);
        } catch (SettingsException e) {
            System.err.println("orderflow: cannot start: " + e.getMessage());
            System.exit(2);
            return;
        }
        // camel-main stops Camel on this thread once its own shutdown hook asks it to
        StopDeadline deadline = StopDeadline.install(Duration.ofMillis(settings.getLong("orderflow.shutdown.timeout-ms")),
                Thread.currentThread());
        Main main = new Main();
        OrderflowConfiguration configuration = new OrderflowConfiguration(settings).stopWithin(deadline);
        main.bind("metricsRegistry", configuration.meters());
        main.configure().addConfiguration(configuration);
        OrderflowConfiguration.camelProperties(settings).forEach(main::addOverrideProperty);
        int code;
        try {
            code = main.run(args);
        } finally {
            deadline.stopped();
        }
        System.exit(code);
    }
}
