package io.isochron.sim.engine;

import java.util.Arrays;

/**
 * Min-heap of vCPU ids keyed by the time their next job becomes ready; each vCPU is in it at most
 * once. Ties pop in id order so that runs are deterministic. Allocation-free once sized.
 */
final class ReadyHeap {
    private int[] ids;
    private long[] times;
    private int size;

    ReadyHeap(int capacity) {
        ids = new int[Math.max(1, capacity)];
        times = new long[ids.length];
    }

    boolean isEmpty() {
        return size == 0;
    }

    long peekTime() {
        return size == 0 ? Long.MAX_VALUE : times[0];
    }

    void push(int id, long time) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
            times = Arrays.copyOf(times, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!less(time, id, times[parent], ids[parent])) {
                break;
            }
            ids[i] = ids[parent];
            times[i] = times[parent];
            i = parent;
        }
        ids[i] = id;
        times[i] = time;
    }

    int pop() {
        int top = ids[0];
        int lastId = ids[--size];
        long lastTime = times[size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && less(times[child + 1], ids[child + 1], times[child], ids[child])) {
                child++;
            }
            if (!less(times[child], ids[child], lastTime, lastId)) {
                break;
            }
            ids[i] = ids[child];
            times[i] = times[child];
            i = child;
        }
        ids[i] = lastId;
        times[i] = lastTime;
        return top;
    }

    private static boolean less(long t1, int id1, long t2, int id2) {
        return t1 < t2 || (t1 == t2 && id1 < id2);
    }
}
