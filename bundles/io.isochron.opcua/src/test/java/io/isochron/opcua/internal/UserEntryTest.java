package io.isochron.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UserEntryTest {
    @Test
    void anEntryKeepsNoPasswordAndAcceptsOnlyTheRightOne() {
        String line = UserEntry.create("anna", Role.OPERATOR, "correct horse".toCharArray()).format();
        assertThat(line).startsWith("anna:operator:pbkdf2-sha256:" + PasswordHash.DEFAULT_ITERATIONS + ":")
                .doesNotContain("correct", "horse");
        UserEntry parsed = UserEntry.parse(line);
        assertThat(parsed.role()).isEqualTo(Role.OPERATOR);
        assertThat(parsed.accepts("correct horse")).isTrue();
        assertThat(parsed.accepts("correct horse ")).isFalse();
        assertThat(parsed.format()).isEqualTo(line);
    }

    @Test
    void twoEntriesForTheSamePasswordDifferInSalt() {
        String a = UserEntry.create("a", Role.VIEWER, "pw".toCharArray()).format();
        String b = UserEntry.create("a", Role.VIEWER, "pw".toCharArray()).format();
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void badEntriesSayWhatIsWrong() {
        assertThatThrownBy(() -> UserEntry.parse("anna:operator:secret"))
                .hasMessageContaining("6 fields").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> UserEntry.parse("anna:admin:pbkdf2-sha256:600000:AAAAAAAAAAA:AAAA"))
                .hasMessageContaining("role 'admin' is not one of: viewer, operator");
        assertThatThrownBy(() -> UserEntry.parse("anna:operator:md5:600000:AAAAAAAAAAA:AAAA"))
                .hasMessageContaining("scheme 'md5' is not pbkdf2-sha256");
        assertThatThrownBy(() -> UserEntry.parse("anna:operator:pbkdf2-sha256:1000:AAAAAAAAAAA:AAAA"))
                .hasMessageContaining("iterations '1000' must be an integer >= 100000");
        assertThatThrownBy(() -> UserEntry.parse("anna:operator:pbkdf2-sha256:600000:%%%:AAAA"))
                .hasMessageContaining("Base64");
    }
}
