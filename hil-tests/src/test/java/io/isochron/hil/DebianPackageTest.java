package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The built .deb, read with Debian's own dpkg-deb: metadata, maintainer scripts and layout. */
class DebianPackageTest {
    private static final Path TARGET = Path.of(System.getProperty("isochron.image", "../image/target/isochron")).getParent();

    private static Path deb() throws IOException {
        try (Stream<Path> files = Files.list(TARGET)) {
            List<Path> debs = files.filter(p -> p.getFileName().toString().endsWith("_all.deb")).toList();
            assertThat(debs).as(".deb in %s", TARGET).hasSize(1);
            return debs.get(0);
        }
    }

    private static String dpkgDeb(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("dpkg-deb"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("dpkg-deb %s: %s", String.join(" ", args), out).isZero();
        return out;
    }

    @Test
    void metadataNamesThePackageItsRuntimeAndScripts() throws Exception {
        Path deb = deb();
        assertThat(dpkgDeb("--field", deb.toString(), "Package")).isEqualTo("isochron\n");
        assertThat(dpkgDeb("--field", deb.toString(), "Depends")).contains("java17-runtime-headless", "systemd", "adduser");
        String info = dpkgDeb("--info", deb.toString());
        assertThat(info).contains("postinst", "prerm", "postrm", "conffiles");
    }

    @Test
    void layoutInstallsTheImageTheServiceAndTheCommand() throws Exception {
        String contents = dpkgDeb("--contents", deb().toString());
        assertThat(contents)
                .containsPattern("-rwxr-xr-x root/root .* \\./usr/lib/isochron/bin/isochron\\n")
                .contains("./usr/lib/isochron/bin/felix.jar")
                .contains("./usr/lib/isochron/bundle/io.isochron.scheduler-")
                .contains("./usr/lib/isochron/lib/isochron-cli.jar")
                .contains("./usr/bin/isochron -> /usr/lib/isochron/bin/isochron")
                .contains("./lib/systemd/system/isochron.service")
                .contains("./etc/default/isochron")
                .doesNotContain("/var/");
        assertThat(contents.lines().filter(l -> l.endsWith("./usr/lib/isochron/bin/isochron")).count()).isEqualTo(1);
    }
}
