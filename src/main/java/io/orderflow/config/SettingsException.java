package io.orderflow.config;

/** A setting that prevents startup; its message is the one line the operator needs to fix it. */
public class SettingsException extends RuntimeException {
    public SettingsException(String message) {
        super(message);
    }
}
