package io.isochron.bridge.kvm.reservation;

import io.isochron.bridge.kvm.host.CpuList;
import java.util.BitSet;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One configured reservation: vCPU {@code vcpu} of guest {@code vm} gets SCHED_DEADLINE runtime
 * every period (used within deadline), optionally with RECLAIM and optionally inside an exclusive
 * cpuset partition of {@code cpus} (empty: the thread stays in its current root domain).
 *
 * <p>Syntax: {@code VM/vcpuN=RUNTIME/PERIOD[,deadline=D][,reclaim][@CPUS]}, durations with a unit
 * ({@code ns}, {@code us}, {@code ms}, {@code s}), e.g. {@code plc1/vcpu1=2ms/10ms,deadline=5ms@1}.
 */
public record ReservationSpec(String vm, int vcpu, long runtimeNanos, long deadlineNanos, long periodNanos,
        boolean reclaim, BitSet cpus, String origin) {

    public static final String SYNTAX = "VM/vcpuN=RUNTIME/PERIOD[,deadline=D][,reclaim][@CPUS] or "
            + "VM/vcpuN=taskset:FILE,period=P[,scheduler=edf|rm][,reclaim][@CPUS] with durations in ns, us, ms or s, "
            + "runtime <= deadline <= period, e.g. plc1/vcpu0=2ms/10ms or plc1/vcpu1=2ms/10ms@1";

    private static final Pattern ENTRY = Pattern.compile(
            "([A-Za-z0-9_.-]+)/vcpu(\\d+)=([^/,@]+)/([^/,@]+)((?:,[^,@]+)*)(?:@(.+))?");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s)");
    /** The kernel refuses runtimes below 2^DL_SCALE ns (1.024 µs). */
    private static final long MIN_RUNTIME_NANOS = 1024;

    private static final Pattern TASKSET = Pattern.compile(
            "([A-Za-z0-9_.-]+)/vcpu(\\d+)=taskset:([^,@]+)((?:,[^,@]+)*)(?:@(.+))?");

    public ReservationSpec {
        cpus = (BitSet) cpus.clone();
        origin = origin == null ? "" : origin;
    }

    public ReservationSpec(String vm, int vcpu, long runtimeNanos, long deadlineNanos, long periodNanos,
            boolean reclaim, BitSet cpus) {
        this(vm, vcpu, runtimeNanos, deadlineNanos, periodNanos, reclaim, cpus, "");
    }

    @Override
    public BitSet cpus() {
        return (BitSet) cpus.clone();
    }

    public String label() {
        return vm + "/vcpu" + vcpu;
    }

    /** runtime/period in the kernel's fixed point. */
    public long bandwidth() {
        return Bandwidth.ratio(periodNanos, runtimeNanos);
    }

    /** e.g. {@code 2.000/10.000 ms (bandwidth 0.200)}, deadline and CPUs when they differ from the default. */
    public String describe() {
        return Bandwidth.millis(runtimeNanos) + "/" + Bandwidth.millis(periodNanos) + " ms"
                + (deadlineNanos != periodNanos ? " deadline " + Bandwidth.millis(deadlineNanos) + " ms" : "")
                + " (bandwidth " + Bandwidth.format(bandwidth()) + ")" + (reclaim ? " reclaim" : "")
                + (cpus.isEmpty() ? "" : " in a partition of CPUs " + Bandwidth.cpuList(cpus))
                + (origin.isEmpty() ? "" : " " + origin);
    }

    /** @throws IllegalArgumentException one line naming the entry and what is allowed */
    public static ReservationSpec parse(String entry) {
        String e = entry.strip();
        Matcher t = TASKSET.matcher(e);
        if (t.matches()) {
            return taskSet(entry, t);
        }
        Matcher m = ENTRY.matcher(e);
        if (!m.matches()) {
            throw bad(entry, "is not " + SYNTAX);
        }
        long runtime = duration(entry, m.group(3));
        long period = duration(entry, m.group(4));
        long deadline = period;
        boolean reclaim = false;
        if (!m.group(5).isEmpty()) {
            for (String option : m.group(5).substring(1).split(",")) {
                String o = option.strip();
                if (o.equals("reclaim")) {
                    reclaim = true;
                } else if (o.startsWith("deadline=")) {
                    deadline = duration(entry, o.substring("deadline=".length()));
                } else {
                    throw bad(entry, "has unknown option '" + o + "' (allowed: deadline=D, reclaim)");
                }
            }
        }
        BitSet cpus = m.group(6) == null ? new BitSet() : cpus(entry, m.group(6));
        if (runtime < MIN_RUNTIME_NANOS || runtime > deadline || deadline > period) {
            throw bad(entry, "needs 1.024 us <= runtime <= deadline <= period");
        }
        // The kernel keeps the period below 2^63 ns and needs the high bit free for its own arithmetic.
        if (period >= (1L << 62)) {
            throw bad(entry, "has a period beyond the kernel's range");
        }
        return new ReservationSpec(m.group(1), Integer.parseInt(m.group(2)), runtime, deadline, period, reclaim, cpus);
    }

    /** The minimum budget for the period under which the guest's tasks meet their deadlines. */
    private static ReservationSpec taskSet(String entry, Matcher m) {
        long period = -1;
        String scheduler = "edf";
        boolean reclaim = false;
        if (!m.group(4).isEmpty()) {
            for (String option : m.group(4).substring(1).split(",")) {
                String o = option.strip();
                if (o.equals("reclaim")) {
                    reclaim = true;
                } else if (o.startsWith("period=")) {
                    period = duration(entry, o.substring("period=".length()));
                } else if (o.startsWith("scheduler=")) {
                    scheduler = o.substring("scheduler=".length());
                } else {
                    throw bad(entry, "has unknown option '" + o + "' (allowed: period=P, scheduler=edf|rm, reclaim)");
                }
            }
        }
        if (period <= 0) {
            throw bad(entry, "needs period=P for the task set's reservation");
        }
        BitSet cpus = m.group(5) == null ? new BitSet() : cpus(entry, m.group(5));
        TaskSetBudget.Budget b;
        try {
            b = TaskSetBudget.minimum(java.nio.file.Path.of(m.group(3).strip()), scheduler, period);
        } catch (IllegalArgumentException ex) {
            throw bad(entry, ex.getMessage());
        }
        long runtime = Math.max(MIN_RUNTIME_NANOS, b.runtimeNanos());
        return new ReservationSpec(m.group(1), Integer.parseInt(m.group(2)), runtime, period, period, reclaim, cpus,
                "from task set " + m.group(3).strip() + " (" + b.what() + ")");
    }

    private static BitSet cpus(String entry, String list) {
        BitSet cpus;
        try {
            cpus = CpuList.parse(list);
        } catch (IllegalArgumentException ex) {
            throw bad(entry, "has partition CPUs '" + list + "' that are not a CPU list such as 1 or 2-3");
        }
        if (cpus.isEmpty()) {
            throw bad(entry, "has an empty partition CPU list");
        }
        return cpus;
    }

    private static long duration(String entry, String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw bad(entry, "has duration '" + text + "' without a unit (ns, us, ms, s)");
        }
        double scale = switch (m.group(2)) {
            case "ns" -> 1;
            case "us" -> 1e3;
            case "ms" -> 1e6;
            default -> 1e9;
        };
        double nanos = Double.parseDouble(m.group(1)) * scale;
        if (nanos != Math.rint(nanos) || nanos > Long.MAX_VALUE / 2) {
            throw bad(entry, "has duration '" + text + "' that is not a whole number of nanoseconds");
        }
        return (long) nanos;
    }

    private static IllegalArgumentException bad(String entry, String why) {
        return new IllegalArgumentException("reservation '" + entry + "' " + why);
    }
}
