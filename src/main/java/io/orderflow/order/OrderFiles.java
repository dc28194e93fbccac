package io.orderflow.order;

import io.orderflow.intake.InboxFolder;
import io.orderflow.intake.RejectedInputException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/** Order files from the inbox: one order or an array of orders, all accepted or none. */
public final class OrderFiles {

    private static final Logger LOG = LoggerFactory.getLogger(OrderFiles.class);

    private final OrderFormat format;
    private final OrderIntake intake;
    private final InboxFolder folder;
    private final long maxFileSize;

    public OrderFiles(OrderFormat format, OrderIntake intake, InboxFolder folder, long maxFileSize) {
        this.format = format;
        this.intake = intake;
        this.folder = folder;
        this.maxFileSize = maxFileSize;
    }

    public void accept(Exchange exchange) throws IOException {
        File file = exchange.getIn().getBody(File.class);
        String name = exchange.getIn().getHeader(Exchange.FILE_NAME_ONLY, String.class);
        long size = file.length();
        if (size > maxFileSize) {
            // rejected on its size alone: never read into memory
            throw new RejectedInputException("file is " + size + " bytes, over the limit of " + maxFileSize
                    + " bytes (orderflow.orders.max-file-size)");
        }
        List<Order> orders = format.parse(Files.readAllBytes(file.toPath()));
        OrderIntake.Outcome outcome = intake.accept(orders, "file " + name);
        folder.accepted(exchange);
        LOG.info("Accepted order file {}: {} orders placed, {} duplicates ignored", name, outcome.placed(), outcome.duplicates());
    }
}
