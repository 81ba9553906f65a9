package io.isochron.bridge.kvm.reservation;

/** A reservation was not made; the message is one line naming the thread, the numbers and why. */
public class ReservationException extends Exception {
    private static final long serialVersionUID = 1L;

    public ReservationException(String message) {
        super(message);
    }
}
