package io.orderflow.trace;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.orderflow.config.Settings;
import io.orderflow.config.SettingsException;
import io.orderflow.infra.OutageLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

/**
 * Exports {@link OrderTraces}' spans over OTLP/HTTP (protobuf) with the OpenTelemetry SDK, on when
 * {@code orderflow.otel.endpoint} or a standard {@code OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT}
 * names a collector. The SDK's autoconfiguration reads the standard {@code OTEL_*} variables and
 * {@code otel.*} system properties; orderflow's settings are its defaults, so an {@code OTEL_*}
 * variable wins over the {@code orderflow.otel.*} setting of the same meaning.
 * <p>
 * The flow never waits for the collector: a span ends into a bounded queue, which one exporter
 * thread sends in batches; spans that find the queue full are dropped and counted
 * ({@code orderflow_traces_spans_dropped_total}). A collector that is down, slow or refuses shows
 * as one WARN line per interval (the outage log), not one per batch.
 */
public final class OtlpTraces implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OtlpTraces.class);
    /** The outage log's source for the collector. */
    static final String SOURCE = "trace-collector";
    /**
     * The SDK logs each failed export through java.util.logging, to the console, in its own format;
     * the outage log says it instead. Held here: java.util.logging keeps its loggers weakly.
     */
    private static final java.util.logging.Logger SDK_EXPORT_LOG = java.util.logging.Logger.getLogger("io.opentelemetry.exporter");
    private static final java.util.logging.Logger SDK_PROCESSOR_LOG = java.util.logging.Logger.getLogger("io.opentelemetry.sdk.trace.export");

    private final OpenTelemetrySdk sdk;
    private final OrderTraces traces;
    private final String describe;

    private OtlpTraces(OpenTelemetrySdk sdk, String describe) {
        this.sdk = sdk;
        this.traces = new OrderTraces(sdk.getTracer("io.orderflow"));
        this.describe = describe;
    }

    /** Whether traces are to be exported: an endpoint in the settings or in the standard variables. */
    public static boolean wanted(Settings settings, Map<String, String> env) {
        if ("true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", System.getProperty("otel.sdk.disabled", "")))) {
            return false;
        }
        return !settings.get("orderflow.otel.endpoint").isEmpty() || env.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT")
                || env.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || System.getProperty("otel.exporter.otlp.endpoint") != null
                || System.getProperty("otel.exporter.otlp.traces.endpoint") != null;
    }

    /** The SDK's defaults from orderflow's settings; OTEL_* variables and otel.* system properties override them. */
    static Map<String, String> defaults(Settings settings) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("otel.traces.exporter", "otlp");
        d.put("otel.metrics.exporter", "none");
        d.put("otel.logs.exporter", "none");
        d.put("otel.exporter.otlp.protocol", "http/protobuf");
        String endpoint = settings.get("orderflow.otel.endpoint");
        if (!endpoint.isEmpty()) {
            d.put("otel.exporter.otlp.endpoint", endpoint);
        }
        d.put("otel.service.name", settings.get("orderflow.otel.service-name"));
        String resource = settings.get("orderflow.otel.resource-attributes");
        if (!resource.isEmpty()) {
            d.put("otel.resource.attributes", resource);
        }
        d.put("otel.traces.sampler", "parentbased_traceidratio");
        d.put("otel.traces.sampler.arg", settings.get("orderflow.otel.sampling-ratio"));
        d.put("otel.bsp.max.queue.size", settings.get("orderflow.otel.queue-size"));
        // a burst of 1,000 orders makes about 9,000 spans in a few seconds: larger requests, fewer of them
        d.put("otel.bsp.max.export.batch.size", "1024");
        d.put("otel.bsp.schedule.delay", "1000");
        return d;
    }

    /** Starts the SDK and its exporter thread; nothing is sent until a span ends. */
    public static OtlpTraces start(Settings settings, OutageLog outages, MeterRegistry meters) {
        SDK_EXPORT_LOG.setLevel(Level.OFF);
        SDK_PROCESSOR_LOG.setLevel(Level.OFF);
        DroppedSpans dropped = new DroppedSpans();
        String[] endpoint = new String[1];
        AutoConfiguredOpenTelemetrySdk configured;
        try {
            configured = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> defaults(settings))
                    .addPropertiesCustomizer(config -> {
                        endpoint[0] = config.getString("otel.exporter.otlp.traces.endpoint",
                                config.getString("otel.exporter.otlp.endpoint", "http://localhost:4318"));
                        return Map.of();
                    })
                    .addSpanExporterCustomizer((exporter, config) -> new WatchedExporter(exporter, outages))
                    .addMeterProviderCustomizer((builder, config) -> builder.registerMetricReader(dropped))
                    .disableShutdownHook()
                    .build();
        } catch (RuntimeException e) {
            throw new SettingsException("traces: " + e.getMessage());
        }
        FunctionCounter.builder("orderflow.traces.spans.dropped", dropped, DroppedSpans::count)
                .description("Spans dropped because the exporter's queue was full (the collector down or slow)").register(meters);
        OtlpTraces otlp = new OtlpTraces(configured.getOpenTelemetrySdk(), endpoint[0]);
        LOG.info("Traces: exported over OTLP/HTTP to {}", otlp.describe);
        return otlp;
    }

    public OrderTraces traces() {
        return traces;
    }

    public String describe() {
        return describe;
    }

    /** Sends what is queued (for at most 5 s: a collector that is down does not hold the stop), then stops. */
    @Override
    public void close() {
        sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
        sdk.shutdown().join(5, TimeUnit.SECONDS);
    }

    /** Reports each export to the outage log: a failure is a WARN line per interval, a success after failures one INFO line. */
    private static final class WatchedExporter implements SpanExporter {
        private final SpanExporter exporter;
        private final OutageLog outages;

        WatchedExporter(SpanExporter exporter, OutageLog outages) {
            this.exporter = exporter;
            this.outages = outages;
        }

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            CompletableResultCode result = exporter.export(spans);
            result.whenComplete(() -> {
                if (result.isSuccess()) {
                    outages.recovered(SOURCE);
                } else {
                    Throwable cause = result.getFailureThrowable();
                    outages.failed(SOURCE, spans.size() + " spans not exported"
                            + (cause == null ? " (the collector refused them or did not answer in time)" : ": " + cause),
                            "those spans dropped, the flow not held up");
                }
            });
            return result;
        }

        @Override
        public CompletableResultCode flush() {
            return exporter.flush();
        }

        @Override
        public CompletableResultCode shutdown() {
            return exporter.shutdown();
        }
    }

    /**
     * Reads the batch span processor's own count of spans it dropped (processedSpans with
     * dropped=true), which it reports to the SDK's meter provider and nowhere else.
     */
    private static final class DroppedSpans implements MetricReader {
        private static final AttributeKey<Boolean> DROPPED = AttributeKey.booleanKey("dropped");
        private volatile CollectionRegistration registration = CollectionRegistration.noop();

        @Override
        public void register(CollectionRegistration registration) {
            this.registration = registration;
        }

        double count() {
            long n = 0;
            for (MetricData m : registration.collectAllMetrics()) {
                if (m.getName().equals("processedSpans")) {
                    for (LongPointData p : m.getLongSumData().getPoints()) {
                        if (Boolean.TRUE.equals(p.getAttributes().get(DROPPED))) {
                            n += p.getValue();
                        }
                    }
                }
            }
            return n;
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.CUMULATIVE;
        }

        @Override
        public MemoryMode getMemoryMode() {
            return MemoryMode.IMMUTABLE_DATA;
        }

        @Override
        public CompletableResultCode forceFlush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
