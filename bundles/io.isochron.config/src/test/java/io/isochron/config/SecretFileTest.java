package io.isochron.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFileTest {
    @TempDir
    Path dir;

    @Test
    void aRelativeNameIsASystemdCredential() {
        assertThat(SecretFile.resolve("mqtt-password", "/run/credentials/isochron.service"))
                .isEqualTo(Path.of("/run/credentials/isochron.service/mqtt-password"));
        assertThat(SecretFile.resolve("/etc/isochron/secret", "/run/credentials/x")).isEqualTo(Path.of("/etc/isochron/secret"));
        assertThat(SecretFile.resolve("secret", null)).isEqualTo(Path.of("secret"));
    }

    @Test
    void thePasswordIsTheFirstLineAndNothingOfItShowsInErrors() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), "s3cret\nignored\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThat(SecretFile.firstLine(f)).isEqualTo("s3cret");
        assertThatThrownBy(() -> SecretFile.lines(dir.resolve("missing"))).hasMessage("is not a readable file");
        assertThatThrownBy(() -> SecretFile.lines(dir)).hasMessage("is not a readable file");
    }
}
