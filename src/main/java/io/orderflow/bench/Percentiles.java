package io.orderflow.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** p50, p95, p99 and max of a set of durations, in milliseconds. */
final class Percentiles {

    private Percentiles() {
    }

    static Map<String, Double> of(double[] millis) {
        Map<String, Double> p = new LinkedHashMap<>();
        if (millis.length == 0) {
            return p;
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        p.put("p50", at(sorted, 0.50));
        p.put("p95", at(sorted, 0.95));
        p.put("p99", at(sorted, 0.99));
        p.put("max", round(sorted[sorted.length - 1]));
        return p;
    }

    private static double at(double[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return round(sorted[Math.max(0, Math.min(sorted.length - 1, i))]);
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
