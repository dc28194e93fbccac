package io.orderflow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * CPU time of processes other than the benchmark's own, read from /proc: a JVM running the jar,
 * and a PostgreSQL server (its postmaster, its live children, and what its exited children used,
 * which the kernel adds to the postmaster when it reaps them). Linux only; elsewhere it reads 0.
 */
final class ProcessCpu {

    /** Linux's USER_HZ, the unit of /proc/[pid]/stat's times on every architecture it supports. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private ProcessCpu() {
    }

    /** User plus system CPU of one process, all its threads, in nanoseconds. */
    static long of(long pid) {
        long[] t = times(pid);
        return t == null ? 0 : (t[1] + t[2]) * NANOS_PER_TICK;
    }

    /** CPU of a PostgreSQL server: the postmaster, its children, and its reaped children. */
    static long ofServer(long postmaster) {
        long ticks = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                long[] t = times(pid);
                if (t == null) {
                    continue;
                }
                if (pid == postmaster) {
                    ticks += t[1] + t[2] + t[3] + t[4];
                } else if (t[0] == postmaster) {
                    ticks += t[1] + t[2];
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return ticks * NANOS_PER_TICK;
    }

    /** The postmaster's pid, from the first line of postmaster.pid in a cluster's data directory. */
    static OptionalLong postmaster(Path clusterDir) {
        try {
            List<String> lines = Files.readAllLines(clusterDir.resolve("postmaster.pid"));
            return lines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** ppid, utime, stime, cutime, cstime of a process, or null if it is gone. */
    private static long[] times(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        } catch (IOException e) {
            return null;
        }
        // the command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]),
                Long.parseLong(f[14])};
    }
}
