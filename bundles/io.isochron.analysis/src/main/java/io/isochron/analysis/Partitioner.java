package io.isochron.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Partitions a task set over vCPUs. A task fits on a vCPU when the vCPU's tasks together with it are
 * schedulable on a whole processor: then some budget no larger than the period works, at any period.
 * Each vCPU then gets the least-bandwidth reservation over the allowed periods.
 */
public final class Partitioner {
    /**
     * What to search: the local scheduler, the heuristic, and the allowed periods, the multiples of
     * {@code granularity} in [periodFrom, periodTo] (a single period when both are equal).
     */
    public record Settings(Scheduler scheduler, Heuristic heuristic, long periodFrom, long periodTo, long granularity) {}

    private Partitioner() {}

    /** @throws AnalysisException if some task fits on none of the vCPUs */
    public static Partition partition(List<Task> tasks, int vcpus, Settings s) {
        if (vcpus < 1) {
            throw new IllegalArgumentException("need at least one vCPU, got " + vcpus);
        }
        List<Task> order = new ArrayList<>(tasks);
        order.sort(Comparator.<Task, Ratio>comparing(k -> Ratio.of(k.wcet(), k.period())).reversed()
                .thenComparing(Task::name));
        List<List<Task>> bins = new ArrayList<>();
        List<Reservation> reservations = new ArrayList<>();
        for (int i = 0; i < vcpus; i++) {
            bins.add(new ArrayList<>());
            reservations.add(reserve(List.of(), s));
        }
        for (Task task : order) {
            int chosen = -1;
            Ratio chosenKey = null;
            Reservation chosenReservation = null;
            for (int i = 0; i < vcpus; i++) {
                List<Task> trial = new ArrayList<>(bins.get(i));
                trial.add(task);
                if (!CompositionalAnalysis.schedulableAlone(trial, s.scheduler())) {
                    continue;
                }
                if (s.heuristic() == Heuristic.FFD) {
                    chosen = i;
                    break;
                }
                Reservation r = null;
                Ratio key;
                if (s.heuristic() == Heuristic.WFD) {
                    key = Demand.utilisation(bins.get(i));
                } else {
                    r = reserve(trial, s);
                    key = reserved(r).minus(reserved(reservations.get(i)));
                }
                if (chosenKey == null || key.compareTo(chosenKey) < 0) {
                    chosen = i;
                    chosenKey = key;
                    chosenReservation = r;
                }
            }
            if (chosen < 0) {
                throw new AnalysisException(String.format(Locale.ROOT,
                        "no partition fits: task '%s' (utilisation %.4f) fits on none of the %d vCPUs under %s "
                                + "with heuristic %s (vCPU utilisations %s); try more vCPUs or another heuristic",
                        task.name(), task.utilisation(), vcpus, s.scheduler().id(), s.heuristic().id(),
                        bins.stream().map(b -> String.format(Locale.ROOT, "%.4f", Demand.utilisation(b).doubleValue()))
                                .collect(Collectors.joining(", "))));
            }
            bins.get(chosen).add(task);
            reservations.set(chosen, chosenReservation != null ? chosenReservation : reserve(bins.get(chosen), s));
        }
        List<Partition.Vcpu> result = new ArrayList<>();
        for (int i = 0; i < vcpus; i++) {
            // Report each vCPU's tasks in the order of the task set, not of placement.
            List<Task> placed = new ArrayList<>(bins.get(i));
            placed.sort(Comparator.comparingInt(tasks::indexOf));
            result.add(new Partition.Vcpu(i, placed, reservations.get(i)));
        }
        return new Partition(result);
    }

    private static Reservation reserve(List<Task> tasks, Settings s) {
        return CompositionalAnalysis.bestReservation(tasks, s.scheduler(), s.periodFrom(), s.periodTo(), s.granularity());
    }

    private static Ratio reserved(Reservation r) {
        return Ratio.of(r.roundedBudget(), r.period());
    }
}
