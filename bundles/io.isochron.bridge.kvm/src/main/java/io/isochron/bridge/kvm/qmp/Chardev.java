package io.isochron.bridge.kvm.qmp;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One entry of {@code query-chardev}. {@code filename} is QEMU's description of the backend, e.g.
 * {@code pty:/dev/pts/3} or {@code unix:/run/x.sock,server=on}.
 */
public record Chardev(String label, String filename, boolean frontendOpen) {
    /** The host end of a pty backend, which is where the paravirtual channel attaches. */
    public Optional<Path> ptyPath() {
        return filename.startsWith("pty:") ? Optional.of(Path.of(filename.substring(4))) : Optional.empty();
    }
}
