package io.orderflow.intake;

import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.file.GenericFileFilter;

/**
 * Takes a file only once it is complete: unchanged (modification time) for the stable window. A
 * file still being written is left for a later poll; files already old enough are taken at once,
 * so a burst of complete files is not slowed down.
 */
public final class StableFiles<T> implements GenericFileFilter<T> {

    private final long windowMs;

    public StableFiles(long windowMs) {
        this.windowMs = windowMs;
    }

    @Override
    public boolean accept(GenericFile<T> file) {
        return !file.isDirectory() && System.currentTimeMillis() - file.getLastModified() >= windowMs;
    }
}
