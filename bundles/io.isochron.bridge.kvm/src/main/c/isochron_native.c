/*
 * JNI side of io.isochron.bridge.kvm.host.NativeCalls: the few scheduler system calls the JDK
 * does not offer. Every failure becomes a Java NativeException carrying errno; nothing here keeps
 * state between calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jni.h>

#include "io_isochron_bridge_kvm_host_NativeCalls.h"

/*
 * The kernel's struct sched_attr (include/uapi/linux/sched/types.h), first version (48 bytes,
 * SCHED_ATTR_SIZE_VER0): glibc 2.36 declares neither the struct nor a sched_setattr wrapper.
 * The utilisation-clamp fields of later versions are not used, and the kernel accepts the short size.
 */
struct isochron_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

_Static_assert(sizeof(struct isochron_sched_attr) == 48, "SCHED_ATTR_SIZE_VER0 is 48 bytes");

/* Largest cpumask tried by getAffinity: 1 << 16 CPUs, far above any NR_CPUS. */
#define MAX_AFFINITY_WORDS 1024

#define NATIVE_EXCEPTION "io/isochron/bridge/kvm/host/NativeException"

/*
 * Throws NativeException.fromErrno(err, strerror(err), call, args). ThrowNew only passes a message,
 * so the exception is made by its factory (which picks the errno's type) and thrown with Throw.
 * If that fails, a Java error (class not found, out of memory) is already pending and propagates.
 */
static void throw_errno(JNIEnv *env, int err, const char *call, const char *args) {
    char text[128];
    const char *description = strerror_r(err, text, sizeof text);
    jclass cls = (*env)->FindClass(env, NATIVE_EXCEPTION);
    if (cls == NULL) {
        return;
    }
    jmethodID factory = (*env)->GetStaticMethodID(env, cls, "fromErrno",
            "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;)L" NATIVE_EXCEPTION ";");
    if (factory == NULL) {
        return;
    }
    jstring jdescription = (*env)->NewStringUTF(env, description);
    jstring jcall = jdescription == NULL ? NULL : (*env)->NewStringUTF(env, call);
    jstring jargs = jcall == NULL ? NULL : (*env)->NewStringUTF(env, args);
    if (jargs == NULL) {
        return;
    }
    jobject exception = (*env)->CallStaticObjectMethod(env, cls, factory, (jint) err, jdescription,
            jcall, jargs);
    if (exception != NULL && !(*env)->ExceptionCheck(env)) {
        (*env)->Throw(env, (jthrowable) exception);
    }
}

/* The JVM gives Java threads no kernel thread id; scheduling calls need one. */
JNIEXPORT jint JNICALL Java_io_isochron_bridge_kvm_host_NativeCalls_gettid(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    return (jint) gettid();
}

/* The clock SCHED_DEADLINE periods run on; System.nanoTime does not promise which clock it reads. */
JNIEXPORT jlong JNICALL Java_io_isochron_bridge_kvm_host_NativeCalls_monotonicNanos(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now); /* cannot fail for CLOCK_MONOTONIC with a valid pointer */
    return (jlong) now.tv_sec * 1000000000L + now.tv_nsec;
}

/*
 * Pins a (vCPU) thread to a set of CPUs. The Java long[] already has the kernel cpumask layout on
 * LP64 (an array of unsigned long, CPU n = bit n%64 of word n/64), so it is passed through as is.
 */
JNIEXPORT void JNICALL Java_io_isochron_bridge_kvm_host_NativeCalls_setAffinity(JNIEnv *env, jclass cls,
        jint tid, jlongArray mask) {
    (void) cls;
    jsize words = (*env)->GetArrayLength(env, mask);
    jlong *bits = (*env)->GetLongArrayElements(env, mask, NULL);
    if (bits == NULL) {
        return;
    }
    size_t bytes = (size_t) words * sizeof(jlong);
    int rc = sched_setaffinity((pid_t) tid, bytes, (const cpu_set_t *) bits);
    int err = errno;
    char args[96];
    snprintf(args, sizeof args, "tid=%d, cpusetsize=%zu, mask[0]=0x%llx", (int) tid, bytes,
            words > 0 ? (unsigned long long) bits[0] : 0ULL);
    (*env)->ReleaseLongArrayElements(env, mask, bits, JNI_ABORT);
    if (rc != 0) {
        throw_errno(env, err, "sched_setaffinity", args);
    }
}

/*
 * Reads a thread's CPU mask back (verification, and the starting point for restoring it). The
 * kernel refuses a buffer smaller than its nr_cpu_ids with EINVAL, so the buffer grows until it fits.
 */
JNIEXPORT jlongArray JNICALL Java_io_isochron_bridge_kvm_host_NativeCalls_getAffinity(JNIEnv *env, jclass cls,
        jint tid) {
    (void) cls;
    for (jsize words = 16; words <= MAX_AFFINITY_WORDS; words *= 2) {
        size_t bytes = (size_t) words * sizeof(jlong);
        jlong *bits = calloc((size_t) words, sizeof(jlong));
        if (bits == NULL) {
            throw_errno(env, ENOMEM, "sched_getaffinity", "calloc");
            return NULL;
        }
        int rc = sched_getaffinity((pid_t) tid, bytes, (cpu_set_t *) bits);
        int err = errno;
        if (rc == 0) {
            jlongArray result = (*env)->NewLongArray(env, words);
            if (result != NULL) {
                (*env)->SetLongArrayRegion(env, result, 0, words, bits);
            }
            free(bits);
            return result;
        }
        free(bits);
        if (err != EINVAL) {
            char args[64];
            snprintf(args, sizeof args, "tid=%d, cpusetsize=%zu", (int) tid, bytes);
            throw_errno(env, err, "sched_getaffinity", args);
            return NULL;
        }
    }
    char args[64];
    snprintf(args, sizeof args, "tid=%d, cpusetsize up to %zu", (int) tid,
            (size_t) MAX_AFFINITY_WORDS * sizeof(jlong));
    throw_errno(env, EINVAL, "sched_getaffinity", args);
    return NULL;
}

/*
 * Gives a thread a policy and its parameters in one call. sched_setscheduler cannot express
 * SCHED_DEADLINE's runtime/deadline/period or its flags, hence the raw sched_setattr syscall.
 */
JNIEXPORT void JNICALL Java_io_isochron_bridge_kvm_host_NativeCalls_setAttributes(JNIEnv *env, jclass cls,
        jint tid, jint policy, jlong flags, jint nice, jint priority, jlong runtime, jlong deadline,
        jlong period) {
    (void) cls;
    struct isochron_sched_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.sched_policy = (uint32_t) policy;
    attr.sched_flags = (uint64_t) flags;
    attr.sched_nice = (int32_t) nice;
    attr.sched_priority = (uint32_t) priority;
    attr.sched_runtime = (uint64_t) runtime;
    attr.sched_deadline = (uint64_t) deadline;
    attr.sched_period = (uint64_t) period;
    if (syscall(SYS_sched_setattr, (pid_t) tid, &attr, 0U) != 0) {
        int err = errno;
        char args[192];
        snprintf(args, sizeof args,
                "tid=%d, policy=%d, flags=0x%llx, nice=%d, priority=%d, runtime=%lld, deadline=%lld, period=%lld",
                (int) tid, (int) policy, (unsigned long long) flags, (int) nice, (int) priority,
                (long long) runtime, (long long) deadline, (long long) period);
        throw_errno(env, err, "sched_setattr", args);
    }
}

/* Reads back what the kernel actually applied (it may round or keep other fields). */
JNIEXPORT jlongArray JNICALL Java_io_isochron_bridge_kvm_host_NativeCalls_getAttributes(JNIEnv *env, jclass cls,
        jint tid) {
    (void) cls;
    struct isochron_sched_attr attr;
    memset(&attr, 0, sizeof attr);
    if (syscall(SYS_sched_getattr, (pid_t) tid, &attr, (unsigned int) sizeof attr, 0U) != 0) {
        int err = errno;
        char args[64];
        snprintf(args, sizeof args, "tid=%d, size=%zu", (int) tid, sizeof attr);
        throw_errno(env, err, "sched_getattr", args);
        return NULL;
    }
    jlong values[7] = {
        (jlong) attr.sched_policy, (jlong) attr.sched_flags, (jlong) attr.sched_nice,
        (jlong) attr.sched_priority, (jlong) attr.sched_runtime, (jlong) attr.sched_deadline,
        (jlong) attr.sched_period,
    };
    jlongArray result = (*env)->NewLongArray(env, 7);
    if (result != NULL) {
        (*env)->SetLongArrayRegion(env, result, 0, 7, values);
    }
    return result;
}
