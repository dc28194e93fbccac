package io.orderflow.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks made before anything starts, each failing with one line that says what to fix: the data
 * dir is usable and not in use by another orderflow process, and the ports to listen on are free.
 */
public final class Preflight {

    private static FileChannel lockChannel;
    private static FileLock lock;

    private Preflight() {
    }

    public static synchronized void check(Settings settings) {
        Path dir = settings.dataDir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SettingsException("cannot create the data dir " + dir + " (" + e + "): set orderflow.data-dir to a writable folder");
        }
        lockDataDir(dir);
        portFree(settings.get("orderflow.http.host"), settings.getInt("orderflow.http.port"), "orderflow.http.port");
        if (settings.brokerEmbedded()) {
            URI listen = settings.brokerListen();
            portFree(listen.getHost(), listen.getPort(), "orderflow.broker.listen");
        }
    }

    private static void lockDataDir(Path dir) {
        if (lock != null) {
            return;
        }
        try {
            lockChannel = FileChannel.open(dir.resolve("orderflow.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            throw new SettingsException("cannot lock the data dir " + dir + " (" + e.getMessage() + ")");
        }
        if (lock == null) {
            throw new SettingsException("the data dir " + dir + " is in use by another orderflow process: stop it, "
                    + "or give this one its own orderflow.data-dir");
        }
    }

    /** Releases the data dir (tests that start several instances one after another in one JVM). */
    public static synchronized void release() {
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException ignored) {
            // released when the process ends anyway
        }
        lock = null;
        lockChannel = null;
    }

    private static void portFree(String host, int port, String setting) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new SettingsException("port " + port + " on " + host + " is in use (" + e.getMessage() + "): set "
                    + setting + " (or " + Settings.envName(setting) + ") to a free port");
        }
    }
}
