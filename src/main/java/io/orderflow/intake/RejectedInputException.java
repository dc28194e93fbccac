package io.orderflow.intake;

import java.util.List;

/**
 * Input that will never be accepted as it is: a file goes to its error folder with these problems
 * written beside it, a JMS message to orders.in.rejected with them in rejectReason. Never retried.
 */
public class RejectedInputException extends RuntimeException {

    private final List<String> problems;

    public RejectedInputException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public RejectedInputException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
