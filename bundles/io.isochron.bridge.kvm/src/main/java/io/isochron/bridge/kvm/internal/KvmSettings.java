package io.isochron.bridge.kvm.internal;

import io.isochron.bridge.kvm.schedext.EnforcementMode;
import io.isochron.bridge.kvm.host.CpuList;
import io.isochron.bridge.kvm.reservation.Bandwidth;
import io.isochron.bridge.kvm.reservation.ReservationSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The validated configuration of the KVM bridge (PID {@code io.isochron.bridge.kvm}). */
record KvmSettings(Path directory, Map<String, Path> sockets, String chardev, int[] hostCpus, long tickNanos,
        boolean applyAffinity, int framesPerSecond, double[] bytesPerSecond, List<ReservationSpec> reservations,
        EnforcementMode enforcement, Path schedExtSocket) {

    /** Where guests are looked for, for log lines and the shell. */
    String watched() {
        return (directory == null ? "no directory" : directory + "/*.qmp")
                + (sockets.isEmpty() ? "" : " and " + sockets.values());
    }

    /** @throws IllegalArgumentException naming the bad property and what is allowed */
    static KvmSettings from(KvmBridgeConfig c, BitSet online) {
        Path dir = c.qmpDirectory().isBlank() ? null : Path.of(c.qmpDirectory().trim());
        Map<String, Path> sockets = new LinkedHashMap<>();
        for (String entry : c.qmpSockets()) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            Path p = Path.of(eq >= 0 ? e.substring(eq + 1).trim() : e);
            String name = eq >= 0 ? e.substring(0, eq).trim() : p.getFileName().toString().replaceFirst("\\.qmp$", "");
            if (name.isEmpty() || !name.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("property 'qmpSockets': guest name '" + name
                        + "' must be letters, digits, '_', '.' or '-' (entry '" + entry + "')");
            }
            sockets.put(name, p);
        }
        BitSet cpus;
        try {
            cpus = c.cpus().isBlank() ? online : CpuList.parse(c.cpus().trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("property 'cpus' = '" + c.cpus() + "' is not a CPU list such as 0-3 or 1,3");
        }
        BitSet offline = (BitSet) cpus.clone();
        offline.andNot(online);
        if (cpus.isEmpty() || !offline.isEmpty()) {
            throw new IllegalArgumentException("property 'cpus' = '" + c.cpus() + "' must name online CPUs (online: "
                    + cpuList(online.stream().toArray()) + ")");
        }
        if (c.tickMillis() < 10 || c.tickMillis() > 10_000) {
            throw new IllegalArgumentException("property 'tickMillis' = " + c.tickMillis() + " is outside 10..10000");
        }
        if (c.channelFramesPerSecond() < 1) {
            throw new IllegalArgumentException("property 'channelFramesPerSecond' = " + c.channelFramesPerSecond()
                    + " must be >= 1");
        }
        String[] bw = c.componentBytesPerSecond();
        if (bw.length != 6) {
            throw new IllegalArgumentException("property 'componentBytesPerSecond' needs 6 values (GPU, RAM, CACHE, "
                    + "ETHERNET, BUS, STORAGE), got " + bw.length);
        }
        double[] bytes = new double[6];
        for (int i = 0; i < 6; i++) {
            try {
                bytes[i] = Double.parseDouble(bw[i].trim());
            } catch (NumberFormatException e) {
                bytes[i] = -1;
            }
            if (!(bytes[i] > 0)) {
                throw new IllegalArgumentException("property 'componentBytesPerSecond': value " + (i + 1) + " = '"
                        + bw[i] + "' must be a positive number of bytes per second");
            }
        }
        List<ReservationSpec> reservations = new ArrayList<>();
        for (String entry : c.reservations()) {
            if (entry.isBlank()) {
                continue;
            }
            ReservationSpec r;
            try {
                r = ReservationSpec.parse(entry);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("property 'reservations': " + e.getMessage());
            }
            if (reservations.stream().anyMatch(o -> o.label().equals(r.label()))) {
                throw new IllegalArgumentException("property 'reservations': " + r.label() + " is reserved twice");
            }
            BitSet off = r.cpus();
            off.andNot(online);
            if (!off.isEmpty()) {
                throw new IllegalArgumentException("property 'reservations': partition CPUs of '" + entry.strip()
                        + "' must be online CPUs (online: " + Bandwidth.cpuList(online) + ")");
            }
            reservations.add(r);
        }
        EnforcementMode enforcement = EnforcementMode.parse(c.enforcement());
        if (c.schedExtSocket().isBlank()) {
            throw new IllegalArgumentException("property 'schedExtSocket' is empty; it must be the path of "
                    + "isochron-scx serve's socket");
        }
        return new KvmSettings(dir, sockets, c.channelChardev().trim(), cpus.stream().toArray(),
                TimeUnit.MILLISECONDS.toNanos(c.tickMillis()), c.applyAffinity(), c.channelFramesPerSecond(), bytes,
                List.copyOf(reservations), enforcement, Path.of(c.schedExtSocket().strip()));
    }

    static String cpuList(int[] cpus) {
        return Arrays.stream(cpus).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
