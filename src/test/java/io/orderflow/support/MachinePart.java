package io.orderflow.support;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A part of the machine that some tests need and the build cannot bring: a browser, promtool, a
 * tmpfs mount, the local PostgreSQL server. On a developer's machine a missing part skips the test
 * with what to install. Under CI ({@code CI=true}, set by .ci/run, which installs every part and
 * runs as root) a missing part fails the test: a suite that skipped its browser or its full-disk
 * test there would pass without having shown anything.
 */
public final class MachinePart {

    private MachinePart() {
    }

    /** Skips the calling test (fails it under CI) unless the part is present. */
    public static void require(boolean present, String missing) {
        if (present) {
            return;
        }
        if (ci()) {
            Assertions.fail(missing + " (CI=true: .ci/run provides every part, so this is a failure, not a skip)");
        }
        Assumptions.abort(missing);
    }

    /** Whether this run is CI's, which must run every test. */
    public static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }
}
