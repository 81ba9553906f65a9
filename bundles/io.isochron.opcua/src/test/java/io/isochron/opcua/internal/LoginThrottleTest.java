package io.isochron.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    private static final long S = 1_000_000_000L;

    @Test
    void repeatedFailuresLockTheAddressOutForTheLockoutTimeOnly() {
        LoginThrottle t = new LoginThrottle(3, 60 * S, 30 * S);
        assertThat(t.failed("10.0.0.5", 0)).isFalse();
        assertThat(t.failed("10.0.0.5", 1 * S)).isFalse();
        assertThat(t.attempt("10.0.0.6", 2 * S)).as("another address").isEqualTo(LoginThrottle.Verdict.CHECK);
        assertThat(t.failed("10.0.0.5", 2 * S)).as("the third locks it out").isTrue();
        assertThat(t.attempt("10.0.0.5", 3 * S)).isEqualTo(LoginThrottle.Verdict.LOCKED_OUT);
        assertThat(t.attempt("10.0.0.5", 31 * S)).isEqualTo(LoginThrottle.Verdict.LOCKED_OUT);
        assertThat(t.attempt("10.0.0.5", 33 * S)).isEqualTo(LoginThrottle.Verdict.CHECK);
        assertThat(t.failed("10.0.0.5", 34 * S)).as("counting starts again").isFalse();
    }

    @Test
    void failuresOutsideTheWindowDoNotCountAndASuccessForgets() {
        LoginThrottle t = new LoginThrottle(2, 60 * S, 30 * S);
        t.failed("a", 0);
        assertThat(t.failed("a", 61 * S)).isFalse();
        t.succeeded("a");
        assertThat(t.remembered()).isZero();
        assertThat(new LoginThrottle(0, 60 * S, 30 * S).failed("a", 0)).as("0 turns it off").isFalse();
    }

    @Test
    void memoryIsBoundedWhateverTheAttackerSpreadsOver() {
        LoginThrottle t = new LoginThrottle(5, 60 * S, 30 * S);
        for (int i = 0; i < LoginThrottle.MAX_ADDRESSES + 500; i++) {
            t.failed("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), i);
        }
        assertThat(t.remembered()).isEqualTo(LoginThrottle.MAX_ADDRESSES);
    }
}
