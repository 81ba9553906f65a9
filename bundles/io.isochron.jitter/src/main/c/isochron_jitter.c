/*
 * JNI side of io.isochron.jitter.NativeProbe: a periodic native thread that measures how late it
 * wakes up. The thread only adds to counters; Java copies them under a sequence lock and diffs
 * consecutive copies, so reading never stops or slows the measuring thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <jni.h>

#include "io_isochron_jitter_NativeProbe.h"

#define NSEC_PER_SEC 1000000000LL
#define MIN_INTERVAL_NS 100000LL
#define MAX_INTERVAL_NS 10000000LL
#define MAX_BUCKETS 1000000
/* Enough for clock_nanosleep and the bookkeeping; prefaulted so the loop never page-faults. */
#define STACK_BYTES (256 * 1024)
/* int64_t entries per 4 KiB page */
#define PAGE_WORDS 512

/* Layout of the snapshot array; mirrored by NativeProbe's constants. */
enum {
    S_COUNT, S_SUM_NS, S_MIN_NS, S_MAX_NS, S_OVERRUNS, S_POLICY, S_PRIORITY, S_TID, S_SLACK_ERR,
    S_RUNNING, S_HEADER
};

struct probe {
    /* Odd while the thread updates the counters below. */
    _Atomic uint64_t seq;
    int64_t count, sum_ns, min_ns, max_ns, overruns;
    int64_t *hist; /* buckets 1 µs wide, hist[buckets] is the overflow */
    int buckets;
    int64_t interval_ns;
    _Atomic int stop;
    _Atomic int running;
    /* Set once by the thread before its first cycle. */
    _Atomic int tid;
    int policy, priority, slack_err;
    pthread_t thread;
};

/* Where start() reports a failure; Java turns it into a ProbeException (no exception is made here). */
enum { ST_LOCK_ERRNO, ST_FAILED_CALL, ST_ERRNO, ST_LENGTH };
enum { CALL_NONE, CALL_ARGUMENTS, CALL_ALLOCATION, CALL_PTHREAD_CREATE };

static int64_t ts_ns(const struct timespec *t) {
    return (int64_t) t->tv_sec * NSEC_PER_SEC + t->tv_nsec;
}

static struct timespec ns_ts(int64_t ns) {
    struct timespec t = { .tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC };
    return t;
}

static void prefault_stack(void) {
    volatile char buffer[STACK_BYTES / 2];
    for (size_t i = 0; i < sizeof buffer; i += 4096) {
        buffer[i] = 0;
    }
}

static void *probe_loop(void *arg) {
    struct probe *p = arg;
    /* Its own name in top, ps and /proc: otherwise it inherits the name of the thread that started it. */
    prctl(PR_SET_NAME, (unsigned long) "isochron-probe", 0UL, 0UL, 0UL);
    /* Per thread: without this the kernel may defer the wake-up by the default 50 µs slack. */
    p->slack_err = prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0 ? 0 : errno;
    struct sched_param param;
    pthread_getschedparam(pthread_self(), &p->policy, &param);
    p->priority = param.sched_priority;
    prefault_stack();
    atomic_store(&p->tid, (int) gettid());

    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t next = ts_ns(&now) + p->interval_ns;
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        struct timespec wake = ns_ts(next);
        int rc;
        while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL)) == EINTR) {
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t latency = ts_ns(&now) - next;
        if (latency < 0) {
            latency = 0; /* an absolute sleep cannot return early; guards the bucket index */
        }
        /* Like cyclictest: the next deadline is one cycle on; deadlines already in the past are
         * skipped rather than run back to back, and each skipped one is a missed cycle. */
        next += p->interval_ns;
        int64_t missed = 0;
        int64_t now_ns = ts_ns(&now);
        if (now_ns > next) {
            missed = (now_ns - next + p->interval_ns - 1) / p->interval_ns;
            next += missed * p->interval_ns;
        }
        int64_t bucket = latency / 1000;
        if (bucket > p->buckets) {
            bucket = p->buckets;
        }

        uint64_t s = atomic_load_explicit(&p->seq, memory_order_relaxed);
        atomic_store_explicit(&p->seq, s + 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        p->count++;
        p->sum_ns += latency;
        if (latency < p->min_ns) {
            p->min_ns = latency;
        }
        if (latency > p->max_ns) {
            p->max_ns = latency;
        }
        p->overruns += missed;
        p->hist[bucket]++;
        atomic_store_explicit(&p->seq, s + 2, memory_order_release);
    }
    atomic_store(&p->running, 0);
    return NULL;
}

/*
 * Starts the probe thread and returns its handle, or 0 with status[ST_FAILED_CALL] and
 * status[ST_ERRNO] set. policy is SCHED_FIFO or SCHED_OTHER; cpu < 0 leaves the affinity alone;
 * lock asks for mlockall first (its errno alone does not stop the start: status[ST_LOCK_ERRNO]).
 */
JNIEXPORT jlong JNICALL Java_io_isochron_jitter_NativeProbe_start(JNIEnv *env, jclass cls, jlong interval_ns,
        jint policy, jint priority, jint cpu, jint buckets, jboolean lock, jintArray status) {
    (void) cls;
    jint st[ST_LENGTH] = { 0, CALL_NONE, 0 };
    struct probe *p = NULL;
    if ((*env)->GetArrayLength(env, status) < ST_LENGTH) {
        return 0;
    }
    if (interval_ns < MIN_INTERVAL_NS || interval_ns > MAX_INTERVAL_NS || buckets < 1 || buckets > MAX_BUCKETS
            || (policy != SCHED_FIFO && policy != SCHED_OTHER) || cpu >= CPU_SETSIZE) {
        st[ST_FAILED_CALL] = CALL_ARGUMENTS;
        st[ST_ERRNO] = EINVAL;
        goto out;
    }
    /*
     * MCL_ONFAULT: in a JVM most committed memory (heap, code cache) is untouched; populating all
     * of it, and every later JVM mapping inside mmap, costs RAM and long kernel sections. Pages the
     * probe uses are touched before its first cycle, and from then on cannot be paged out.
     */
    if (lock && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0) {
        if (errno != EINVAL || mlockall(MCL_CURRENT | MCL_FUTURE) != 0) { /* EINVAL: kernel before 4.4 */
            st[ST_LOCK_ERRNO] = errno;
        }
    }
    p = calloc(1, sizeof *p);
    int64_t *hist = calloc((size_t) buckets + 1, sizeof *hist);
    if (p == NULL || hist == NULL) {
        free(p);
        free(hist);
        p = NULL;
        st[ST_FAILED_CALL] = CALL_ALLOCATION;
        st[ST_ERRNO] = ENOMEM;
        goto out;
    }
    /* calloc may hand out fresh zero pages that are not mapped yet: touch them now, not in a cycle
     * (through volatile, as the compiler knows calloc's memory is zero and would drop a plain store). */
    for (size_t i = 0; i < (size_t) buckets + 1; i += PAGE_WORDS) {
        ((volatile int64_t *) hist)[i] = 0;
    }
    p->hist = hist;
    p->buckets = buckets;
    p->interval_ns = interval_ns;
    p->min_ns = INT64_MAX;
    p->policy = -1;
    atomic_store(&p->running, 1);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_BYTES);
    /* Explicit scheduling makes pthread_create itself fail with EPERM/EINVAL, before any cycle. */
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, policy);
    struct sched_param param = { .sched_priority = policy == SCHED_FIFO ? priority : 0 };
    pthread_attr_setschedparam(&attr, &param);
    int rc = 0;
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        rc = pthread_attr_setaffinity_np(&attr, sizeof set, &set);
    }
    if (rc == 0) {
        rc = pthread_create(&p->thread, &attr, probe_loop, p);
    }
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(hist);
        free(p);
        p = NULL;
        st[ST_FAILED_CALL] = CALL_PTHREAD_CREATE;
        st[ST_ERRNO] = rc;
    }
out:
    (*env)->SetIntArrayRegion(env, status, 0, ST_LENGTH, st);
    return (jlong) (intptr_t) p;
}

/* The C library's text for an errno, for the Java exception. */
JNIEXPORT jstring JNICALL Java_io_isochron_jitter_NativeProbe_strerror(JNIEnv *env, jclass cls, jint err) {
    (void) cls;
    char text[128];
    return (*env)->NewStringUTF(env, strerror_r(err, text, sizeof text));
}

/*
 * Copies the counters and histogram into out (header + buckets + 1) as one consistent state.
 * Returns 0, or EINVAL for an array of the wrong length, ENOMEM without memory for the copy.
 */
JNIEXPORT jint JNICALL Java_io_isochron_jitter_NativeProbe_snapshot(JNIEnv *env, jclass cls, jlong handle,
        jlongArray out) {
    (void) cls;
    struct probe *p = (struct probe *) (intptr_t) handle;
    jsize length = (*env)->GetArrayLength(env, out);
    if (length != S_HEADER + p->buckets + 1) {
        return EINVAL;
    }
    jlong *copy = malloc(sizeof(jlong) * (size_t) length);
    if (copy == NULL) {
        return ENOMEM;
    }
    for (;;) {
        uint64_t before = atomic_load_explicit(&p->seq, memory_order_acquire);
        if (before & 1) {
            sched_yield();
            continue;
        }
        copy[S_COUNT] = p->count;
        copy[S_SUM_NS] = p->sum_ns;
        copy[S_MIN_NS] = p->count == 0 ? 0 : p->min_ns;
        copy[S_MAX_NS] = p->max_ns;
        copy[S_OVERRUNS] = p->overruns;
        memcpy(copy + S_HEADER, p->hist, sizeof(int64_t) * ((size_t) p->buckets + 1));
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&p->seq, memory_order_relaxed) == before) {
            break;
        }
    }
    int tid = atomic_load(&p->tid);
    copy[S_POLICY] = tid == 0 ? -1 : p->policy;
    copy[S_PRIORITY] = tid == 0 ? -1 : p->priority;
    copy[S_TID] = tid;
    copy[S_SLACK_ERR] = tid == 0 ? 0 : p->slack_err;
    copy[S_RUNNING] = atomic_load(&p->running);
    (*env)->SetLongArrayRegion(env, out, 0, length, copy);
    free(copy);
    return 0;
}

/* Stops and joins the thread (at most one cycle, i.e. ≤ 10 ms) and frees the handle. */
JNIEXPORT void JNICALL Java_io_isochron_jitter_NativeProbe_stop(JNIEnv *env, jclass cls, jlong handle) {
    (void) env;
    (void) cls;
    struct probe *p = (struct probe *) (intptr_t) handle;
    atomic_store(&p->stop, 1);
    pthread_join(p->thread, NULL);
    free(p->hist);
    free(p);
}
