/* isochron-agent: the guest side of the paravirtual channel. Every summary interval it samples the
 * guest's tasks from /proc, adds the wake-up latencies of a control-cycle probe thread, and writes
 * one frame (docs/protocol.md v1) to the channel port. It runs as long as the guest does: transient
 * errors are logged once per kind and retried, never fatal. */
#define _GNU_SOURCE
#include "port.h"
#include "proto.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC 1000000000ull
#define PF_KTHREAD 0x00200000u

struct config {
    const char *port;
    const char *hint_dir;
    uint32_t vm;
    uint32_t interval_ms;
    uint32_t cycle_us; /* 0: no probe, no cycle block */
    int priority;      /* 0: SCHED_OTHER, 1..99: SCHED_FIFO */
    long frames;       /* stop after this many frames; 0: run forever */
};

/* ---- logging: at most once per kind, so a broken port cannot flood the console ---- */

enum log_kind {
    LOG_PORT_OPEN, LOG_PORT_WRITE, LOG_PORT_STALL, LOG_PORT_TERMIOS, LOG_PROC, LOG_HINT,
    LOG_TASKS, LOG_SAMPLES, LOG_FDS, LOG_RT, LOG_MLOCK, LOG_LATE, LOG_KINDS
};
static atomic_bool logged[LOG_KINDS];

static void log_once(enum log_kind kind, const char *fmt, ...)
{
    if (atomic_exchange(&logged[kind], true))
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "isochron-agent: %s (further messages of this kind suppressed)\n", line);
}

static struct timespec to_timespec(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC)};
    return ts;
}

/* ---- control-cycle probe: a single-producer single-consumer ring, so the real-time thread never
 * waits on the sampler ---- */

#define RING_SIZE 8192u /* power of two, twice the per-frame maximum */
static uint16_t ring[RING_SIZE];
static atomic_uint ring_head, ring_tail, probe_overruns, ring_dropped;

static void *probe_main(void *arg)
{
    uint64_t cycle = (uint64_t)((const struct config *)arg)->cycle_us * 1000u;
    uint64_t expected = iso_now_ns() + cycle;
    for (;;) {
        struct timespec ts = to_timespec(expected);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        uint64_t t = iso_now_ns();
        uint64_t lat_us = t > expected ? (t - expected) / 1000u : 0;
        unsigned head = atomic_load_explicit(&ring_head, memory_order_relaxed);
        if (head - atomic_load_explicit(&ring_tail, memory_order_acquire) < RING_SIZE) {
            ring[head & (RING_SIZE - 1)] = lat_us > 65535 ? 65535 : (uint16_t)lat_us;
            atomic_store_explicit(&ring_head, head + 1, memory_order_release);
        } else {
            atomic_fetch_add(&ring_dropped, 1);
        }
        /* Cycles whose wake-up time already passed were missed altogether: count, do not replay. */
        expected += cycle;
        while (expected <= t) {
            expected += cycle;
            atomic_fetch_add(&probe_overruns, 1);
        }
    }
    return NULL;
}

static void start_probe(struct config *cfg)
{
    pthread_attr_t attr;
    pthread_t th;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (cfg->priority > 0) {
        struct sched_param sp = {.sched_priority = cfg->priority};
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &sp);
        int rc = pthread_create(&th, &attr, probe_main, cfg);
        if (rc == 0)
            return;
        log_once(LOG_RT, "probe: SCHED_FIFO priority %d refused (%s), running it as SCHED_OTHER",
                 cfg->priority, strerror(rc));
        pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
    }
    int rc = pthread_create(&th, &attr, probe_main, cfg);
    if (rc != 0) {
        log_once(LOG_RT, "probe: cannot start thread (%s), frames carry no cycle block", strerror(rc));
        cfg->cycle_us = 0;
    }
}

static uint16_t take_samples(uint16_t *out, uint32_t *overruns)
{
    unsigned tail = atomic_load_explicit(&ring_tail, memory_order_relaxed);
    unsigned head = atomic_load_explicit(&ring_head, memory_order_acquire);
    unsigned n = head - tail;
    if (n > ISO_MAX_SAMPLES) {
        log_once(LOG_SAMPLES, "probe: more than %d samples since the previous frame; the rest go into the next",
                 ISO_MAX_SAMPLES);
        n = ISO_MAX_SAMPLES;
    }
    for (unsigned i = 0; i < n; i++)
        out[i] = ring[(tail + i) & (RING_SIZE - 1)];
    atomic_store_explicit(&ring_tail, tail + n, memory_order_release);
    *overruns = atomic_exchange(&probe_overruns, 0);
    return (uint16_t)n;
}

/* ---- /proc sampling ---- */

struct sample {
    uint32_t tid, tgid;
    uint64_t start;    /* starttime in ticks: tells a reused tid from the task we saw before */
    uint64_t cpu_ns;
    uint64_t rchar, wchar, rbytes, wbytes;
    char state;
    int cpu;           /* the CPU it last ran on */
    bool kthread, self, have_io;
};

struct table {
    struct sample *v;
    size_t n, cap;
};

static long clk_tck;

static int read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return (int)n;
}

/* Parses a /proc/<pid>/stat line. comm may hold spaces and ')', so fields are counted from the last
 * ')'. Returns 0 on success. */
static int parse_stat(const char *line, struct sample *s, unsigned *flags)
{
    const char *p = strrchr(line, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -1;
    s->state = p[2];
    p += 3;
    unsigned long long utime = 0, stime = 0, start = 0;
    long long cpu = -1;
    unsigned long long fl = 0;
    /* after the state: field 4 ppid ... 9 flags, 14 utime, 15 stime, 22 starttime, 39 processor */
    for (int field = 4; field <= 39 && *p; field++) {
        while (*p == ' ')
            p++;
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p && *p != '-')
            return -1;
        switch (field) {
        case 9: fl = v; break;
        case 14: utime = v; break;
        case 15: stime = v; break;
        case 22: start = v; break;
        case 39: cpu = (long long)v; break;
        default: break;
        }
        p = end;
    }
    if (cpu < 0)
        return -1;
    s->start = start;
    s->cpu = (int)cpu;
    s->cpu_ns = (utime + stime) * (NS_PER_SEC / (uint64_t)clk_tck);
    *flags = (unsigned)fl;
    return 0;
}

static void parse_io(const char *text, struct sample *s)
{
    static const struct { const char *key; size_t off; } keys[] = {
        {"rchar: ", offsetof(struct sample, rchar)},
        {"wchar: ", offsetof(struct sample, wchar)},
        {"read_bytes: ", offsetof(struct sample, rbytes)},
        {"write_bytes: ", offsetof(struct sample, wbytes)},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *p = strstr(text, keys[i].key);
        if (p)
            *(uint64_t *)((char *)s + keys[i].off) = strtoull(p + strlen(keys[i].key), NULL, 10);
    }
    s->have_io = true;
}

static bool push(struct table *t, const struct sample *s)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct sample *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return false;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *s;
    return true;
}

static int by_tid(const void *a, const void *b)
{
    uint32_t x = ((const struct sample *)a)->tid, y = ((const struct sample *)b)->tid;
    return x < y ? -1 : x > y;
}

static const struct sample *find(const struct table *t, uint32_t tid)
{
    struct sample key = {.tid = tid};
    return bsearch(&key, t->v, t->n, sizeof key, by_tid);
}

/* Open /proc files per task, kept between samples and re-read with pread: one system call per file
 * instead of open, read and close, which is most of the agent's cost in a guest whose syscalls are
 * slow (TCG). The descriptors pin the task, so a reused tid cannot be mistaken for it. */
struct handle {
    uint32_t tid, tgid;
    int stat, sched, io; /* -1: not open */
    bool kthread, seen;
};

static struct handle *handles;
static size_t nhandles, caphandles;

static void close_handle(struct handle *h)
{
    if (h->stat >= 0)
        close(h->stat);
    if (h->sched >= 0)
        close(h->sched);
    if (h->io >= 0)
        close(h->io);
    h->stat = h->sched = h->io = -1;
}

/* Binary search in the sorted prefix handles[0..n). */
static struct handle *find_handle_in(uint32_t tid, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (handles[mid].tid == tid)
            return &handles[mid];
        if (handles[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int by_handle_tid(const void *a, const void *b)
{
    uint32_t x = ((const struct handle *)a)->tid, y = ((const struct handle *)b)->tid;
    return x < y ? -1 : x > y;
}

/* Reads a /proc file through a kept descriptor, opening it on first use. */
static int read_kept(int *fd, uint32_t tgid, uint32_t tid, const char *name, char *buf, size_t cap)
{
    if (*fd < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%u/task/%u/%s", tgid, tid, name);
        *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            log_once(LOG_FDS, "out of file descriptors for kept /proc files; reading the rest by path");
            return read_small(path, buf, cap);
        }
        if (*fd < 0)
            return -1;
    }
    ssize_t n = pread(*fd, buf, cap - 1, 0);
    if (n <= 0)
        return -1; /* the task is gone (ESRCH) */
    buf[n] = 0;
    return (int)n;
}

static void sample_one(struct table *cur, struct handle *h, pid_t self)
{
    char buf[1024];
    struct sample s = {.tid = h->tid, .tgid = h->tgid, .self = (pid_t)h->tgid == self};
    unsigned flags;
    h->seen = true;
    if (read_kept(&h->stat, h->tgid, h->tid, "stat", buf, sizeof buf) < 0 || parse_stat(buf, &s, &flags) != 0) {
        close_handle(h); /* vanished: normal */
        return;
    }
    s.kthread = h->kthread = flags & PF_KTHREAD;
    /* User tasks: schedstat has the run time in ns. Kernel threads are most of the tasks in a small
     * guest and matter least: their utime+stime (10 ms ticks) saves two reads each. */
    if (!s.kthread && !s.self) {
        if (read_kept(&h->sched, h->tgid, h->tid, "schedstat", buf, sizeof buf) > 0)
            s.cpu_ns = strtoull(buf, NULL, 10);
        if (read_kept(&h->io, h->tgid, h->tid, "io", buf, sizeof buf) > 0)
            parse_io(buf, &s);
    }
    if (!push(cur, &s))
        log_once(LOG_PROC, "out of memory while sampling tasks");
}

static struct handle *add_handle(uint32_t tid, uint32_t tgid)
{
    if (nhandles == caphandles) {
        size_t cap = caphandles ? caphandles * 2 : 256;
        struct handle *v = realloc(handles, cap * sizeof *v);
        if (!v)
            return NULL;
        handles = v;
        caphandles = cap;
    }
    struct handle *h = &handles[nhandles++];
    *h = (struct handle){.tid = tid, .tgid = tgid, .stat = -1, .sched = -1, .io = -1};
    return h;
}

static void sample_tasks(struct table *cur)
{
    char path[64];
    pid_t self = getpid();
    cur->n = 0;
    size_t known = nhandles; /* handles[0..known) are sorted; new ones are appended */
    for (size_t i = 0; i < nhandles; i++)
        handles[i].seen = false;
    DIR *proc = opendir("/proc");
    if (!proc) {
        log_once(LOG_PROC, "cannot read /proc (%s)", strerror(errno));
        return;
    }
    struct dirent *pe;
    while ((pe = readdir(proc))) {
        if (!isdigit((unsigned char)pe->d_name[0]))
            continue;
        uint32_t tgid = (uint32_t)strtoul(pe->d_name, NULL, 10);
        struct handle *h = find_handle_in(tgid, known);
        if (h && h->kthread && h->stat >= 0) { /* kernel threads never have a second thread */
            sample_one(cur, h, self);
            continue;
        }
        snprintf(path, sizeof path, "/proc/%u/task", tgid);
        DIR *tasks = opendir(path);
        if (!tasks)
            continue; /* the process ended meanwhile */
        struct dirent *te;
        while ((te = readdir(tasks))) {
            if (!isdigit((unsigned char)te->d_name[0]))
                continue;
            uint32_t tid = (uint32_t)strtoul(te->d_name, NULL, 10);
            h = find_handle_in(tid, known);
            if (!h || h->stat < 0) {
                if (h)
                    h->seen = true; /* a dead handle whose tid came back: replace it */
                h = add_handle(tid, tgid);
                if (!h) {
                    log_once(LOG_PROC, "out of memory while sampling tasks");
                    break;
                }
            }
            sample_one(cur, h, self);
        }
        closedir(tasks);
    }
    closedir(proc);
    /* drop the handles of tasks that are gone, then sort for the next round's lookups */
    size_t k = 0;
    for (size_t i = 0; i < nhandles; i++) {
        if (handles[i].seen && handles[i].stat >= 0)
            handles[k++] = handles[i];
        else
            close_handle(&handles[i]);
    }
    nhandles = k;
    qsort(handles, nhandles, sizeof *handles, by_handle_tid);
    qsort(cur->v, cur->n, sizeof *cur->v, by_tid);
}

/* ---- open file classification ---- */

enum { FD_SOCKET = 1, FD_BUS = 2, FD_GPU = 4 };
static char console_names[128]; /* "ttyS0 tty0": never counted as a fieldbus port */

static bool is_console(const char *dev)
{
    size_t n = strlen(dev);
    for (const char *p = console_names; (p = strstr(p, dev)); p += n)
        if ((p == console_names || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
            return true;
    return false;
}

static unsigned classify_fds(uint32_t tgid)
{
    static const char *const bus_prefixes[] = {"/dev/ttyS", "/dev/ttyUSB", "/dev/ttyACM", "/dev/ttyAMA", "/dev/can"};
    char path[64], target[256];
    unsigned kinds = 0;
    snprintf(path, sizeof path, "/proc/%u/fd", tgid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = 0;
        if (strncmp(target, "socket:", 7) == 0) {
            kinds |= FD_SOCKET;
        } else if (strncmp(target, "/dev/dri/", 9) == 0) {
            kinds |= FD_GPU;
        } else {
            for (size_t i = 0; i < sizeof bus_prefixes / sizeof bus_prefixes[0]; i++)
                if (strncmp(target, bus_prefixes[i], strlen(bus_prefixes[i])) == 0 && !is_console(target + 5))
                    kinds |= FD_BUS;
        }
    }
    closedir(d);
    return kinds;
}

/* Bytes moved by all network interfaces, from /proc/net/dev. Loopback bytes are counted once (each
 * appears as sent and as received). */
static uint64_t net_bytes(void)
{
    static char buf[8192];
    if (read_small("/proc/net/dev", buf, sizeof buf) < 0)
        return 0;
    uint64_t total = 0;
    for (char *line = strchr(buf, '\n'); line && (line = strchr(line + 1, '\n'));) {
        char *colon = strchr(line, ':');
        if (!colon)
            break;
        unsigned long long v[16] = {0};
        if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7], &v[8]) != 9)
            continue;
        char *name = line + 1;
        while (*name == ' ')
            name++;
        bool lo = strncmp(name, "lo:", 3) == 0;
        total += lo ? v[8] : v[0] + v[8]; /* rx bytes is column 1, tx bytes column 9 */
    }
    return total;
}

/* ---- hints: /run/isochron/hint/<tid or pid> holds "CATEGORY PERCENT" ---- */

static void read_hint(const char *dir, const struct sample *s, struct iso_task *t)
{
    char path[PATH_MAX], buf[64], name[16];
    unsigned pct;
    t->hint = ISO_NO_HINT;
    t->hint_percent = 0;
    uint32_t ids[2] = {s->tid, s->tgid};
    for (int i = 0; i < (s->tid == s->tgid ? 1 : 2); i++) {
        snprintf(path, sizeof path, "%s/%u", dir, ids[i]);
        if (read_small(path, buf, sizeof buf) < 0)
            continue;
        int cat;
        if (sscanf(buf, "%15s %u", name, &pct) != 2 || (cat = iso_category_from_name(name)) < 0 || pct > 100) {
            log_once(LOG_HINT, "%s: ignored, expected \"CATEGORY PERCENT\" with CATEGORY one of "
                     "GPU RAM CACHE ETHERNET BUS STORAGE NONE and PERCENT 0..100", path);
            return;
        }
        t->hint = (uint8_t)cat;
        t->hint_percent = (uint8_t)pct;
        return;
    }
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
    return now > before ? now - before : 0;
}

/* Turns two consecutive samples into frame entries. Returns the number of entries. */
static size_t summarise(const struct config *cfg, const struct table *prev, const struct table *cur,
                        bool first, uint64_t net, struct iso_task *out)
{
    /* Which CPUs have more than one task in state R: on those /proc cannot tell the running task
     * from the waiting ones, so all of them are reported runnable. A CPU with exactly one R task is
     * running it. */
    enum { MAX_CPUS = 256 };
    static uint16_t r_per_cpu[MAX_CPUS];
    memset(r_per_cpu, 0, sizeof r_per_cpu);
    for (size_t i = 0; i < cur->n; i++)
        if (cur->v[i].state == 'R' && cur->v[i].cpu >= 0 && cur->v[i].cpu < MAX_CPUS)
            r_per_cpu[cur->v[i].cpu]++;

    size_t n = 0;
    uint32_t fd_tgid = 0;
    unsigned fd_kinds = 0;
    /* Network bytes that rchar/wchar did not show (send/recv and friends are not counted there) are
     * shared among the tasks with sockets that ran, in proportion to their CPU time. */
    uint64_t net_seen = 0, sock_cpu = 0;
    static bool has_sock[ISO_MAX_TASKS];
    for (size_t i = 0; i < cur->n; i++) {
        const struct sample *s = &cur->v[i];
        if (s->self)
            continue; /* the agent does not report itself: its cost is measured separately */
        const struct sample *p = first ? NULL : find(prev, s->tid);
        if (p && p->start != s->start)
            p = NULL;
        static const struct sample zero;
        if (!p)
            p = first ? s : &zero; /* first round: baseline only; a new task: all it did is new */
        struct iso_task t = {.pid = s->tid, .hint = ISO_NO_HINT};
        t.cpu_us = sat32(delta(s->cpu_ns, p->cpu_ns) / 1000u);
        bool sock = false;
        if (s->have_io) {
            uint64_t storage = delta(s->rbytes, p->rbytes) + delta(s->wbytes, p->wbytes);
            uint64_t chars = delta(s->rchar, p->rchar) + delta(s->wchar, p->wchar);
            t.io[ISO_STORAGE] = sat32(storage);
            if (chars > storage) {
                if (fd_tgid != s->tgid) { /* fds are per process: look once per process */
                    fd_kinds = classify_fds(s->tgid);
                    fd_tgid = s->tgid;
                }
                int k = fd_kinds & FD_GPU ? ISO_GPU : fd_kinds & FD_BUS ? ISO_BUS
                        : fd_kinds & FD_SOCKET ? ISO_ETHERNET : -1;
                if (k >= 0)
                    t.io[k] = sat32(chars - storage);
                if (k == ISO_ETHERNET)
                    net_seen += chars - storage;
            }
            if (net && t.cpu_us) {
                if (fd_tgid != s->tgid) {
                    fd_kinds = classify_fds(s->tgid);
                    fd_tgid = s->tgid;
                }
                sock = fd_kinds & FD_SOCKET;
            }
        }
        bool moved = false;
        for (int k = 0; k < ISO_COMPONENTS; k++)
            moved |= t.io[k] != 0;
        t.vcpu = s->cpu >= 0 && s->cpu < 256 ? (uint8_t)s->cpu : 0;
        switch (s->state) {
        case 'R':
            t.state = s->cpu >= 0 && s->cpu < MAX_CPUS && r_per_cpu[s->cpu] == 1 ? ISO_RUNNING : ISO_RUNNABLE;
            break;
        case 'D': t.state = ISO_BLOCKED_IO; break;
        default: t.state = ISO_SLEEPING; break;
        }
        if (s->state != 'R' && s->state != 'D' && t.cpu_us == 0 && !moved)
            continue;
        if (n == ISO_MAX_TASKS) {
            log_once(LOG_TASKS, "more than %d active tasks; the frame lists the first %d", ISO_MAX_TASKS, ISO_MAX_TASKS);
            break;
        }
        if (!s->kthread)
            read_hint(cfg->hint_dir, s, &t);
        has_sock[n] = sock;
        if (sock)
            sock_cpu += t.cpu_us;
        out[n++] = t;
    }
    if (net > net_seen && sock_cpu)
        for (size_t i = 0; i < n; i++)
            if (has_sock[i])
                out[i].io[ISO_ETHERNET] = sat32(out[i].io[ISO_ETHERNET] + (net - net_seen) * out[i].cpu_us / sock_cpu);
    return n;
}

/* ---- channel port ---- */

static int port_fd = -1;

static void port_open(const struct config *cfg)
{
    if (strncmp(cfg->port, "unix:", 5) == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", cfg->port + 5);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            port_fd = fd;
            return;
        }
        log_once(LOG_PORT_OPEN, "cannot connect to %s (%s); retrying every interval", cfg->port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    int raw_failed;
    int fd = iso_port_open(cfg->port, &raw_failed);
    if (fd < 0) {
        log_once(LOG_PORT_OPEN, "cannot open port %s (%s); retrying every interval", cfg->port, strerror(errno));
        return;
    }
    if (raw_failed)
        log_once(LOG_PORT_TERMIOS, "cannot set %s raw (%s)", cfg->port, strerror(errno));
    port_fd = fd;
}

static void port_write(const struct config *cfg, const uint8_t *buf, size_t len)
{
    if (port_fd < 0)
        port_open(cfg);
    if (port_fd < 0)
        return;
    /* A port nobody drains must not stall sampling: wait at most half an interval, then drop the
     * rest of the frame (the host resynchronises on the next magic). */
    int rc = iso_port_write(port_fd, buf, len, iso_now_ns() + (uint64_t)cfg->interval_ms * 500000u);
    if (rc > 0) {
        log_once(LOG_PORT_STALL, "port %s does not take data; dropping what does not fit", cfg->port);
    } else if (rc < 0) {
        log_once(LOG_PORT_WRITE, "write to %s failed (%s); reopening", cfg->port, strerror(errno));
        close(port_fd);
        port_fd = -1;
    }
}

/* ---- self test: CRC-32C check value, frame layout, /proc stat parsing ---- */

static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int selftest(void)
{
    int fails = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "selftest: FAILED %s (line %d)\n", #cond, __LINE__); fails++; } } while (0)
    CHECK(iso_crc32c(0, "123456789", 9) == 0xE3069283u);
    CHECK(iso_crc32c(iso_crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u);
    CHECK(iso_crc32c(0, "", 0) == 0);

    struct iso_task tasks[2] = {
        {.pid = 0x01020304, .state = ISO_RUNNABLE, .hint = ISO_RAM, .hint_percent = 80, .cpu_us = 0xA0B0C0D0,
         .io = {1, 2, 3, 4, 5, 0x11223344}},
        {.pid = 7, .state = ISO_SLEEPING, .hint = ISO_NO_HINT, .hint_percent = 55, .cpu_us = 9},
    };
    uint16_t lat[3] = {12, 0x1234, 65535};
    struct iso_cycle cyc = {.cycle_us = 1000, .overruns = 2, .count = 3, .latency_us = lat};
    struct iso_header h = {.vm = 0xDEADBEEF, .seq = 0xFFFFFFFF, .timestamp_ns = 0x0102030405060708ull};
    static uint8_t b[ISO_MAX_FRAME];
    size_t len = iso_encode(b, sizeof b, &h, tasks, 2, &cyc);
    CHECK(len == 24 + 2 + 2 * 36 + 10 + 3 * 2 + 4);
    CHECK(memcmp(b, "ISOC", 4) == 0 && b[4] == 1 && b[5] == 1);
    CHECK(get16(b + 6) == len - 28);
    CHECK(get32(b + 8) == 0xDEADBEEF && get32(b + 12) == 0xFFFFFFFF);
    CHECK(b[16] == 0x08 && b[23] == 0x01);
    CHECK(get16(b + 24) == 2);
    const uint8_t *t0 = b + 26, *t1 = t0 + 36;
    CHECK(get32(t0) == 0x01020304 && t0[4] == 1 && t0[5] == 1 && t0[6] == 80 && t0[7] == 0);
    CHECK(get32(t0 + 8) == 0xA0B0C0D0 && get32(t0 + 12) == 1 && get32(t0 + 28) == 5 && get32(t0 + 32) == 0x11223344);
    CHECK(get32(t1) == 7 && t1[4] == 3 && t1[5] == 255 && t1[6] == 0 && get32(t1 + 8) == 9);
    const uint8_t *c = t1 + 36;
    CHECK(get32(c) == 1000 && get32(c + 4) == 2 && get16(c + 8) == 3);
    CHECK(get16(c + 10) == 12 && get16(c + 12) == 0x1234 && get16(c + 14) == 65535);
    CHECK(get32(b + len - 4) == crc_bitwise(b, len - 4));
    CHECK(get32(b + len - 4) == iso_crc32c(0, b, len - 4));

    size_t bare = iso_encode(b, sizeof b, &h, NULL, 0, NULL);
    CHECK(bare == 30 && b[5] == 0 && get16(b + 6) == 2 && get16(b + 24) == 0);
    cyc.cycle_us = 99;
    CHECK(iso_encode(b, sizeof b, &h, tasks, 2, &cyc) == 0);
    cyc.cycle_us = 1000;
    CHECK(iso_encode(b, 50, &h, tasks, 2, &cyc) == 0);
    CHECK(iso_encode(b, sizeof b, &h, tasks, ISO_MAX_TASKS + 1, NULL) == 0);

    struct sample s;
    unsigned flags;
    const char *line = "42 (a) b (c)) R 1 42 42 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 2 0 12345 1000 10 "
                       "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
    CHECK(parse_stat(line, &s, &flags) == 0);
    CHECK(s.state == 'R' && flags == 4194560 && s.start == 12345 && s.cpu == 1);
    CHECK(s.cpu_ns == 10 * (NS_PER_SEC / (uint64_t)clk_tck));
    CHECK(parse_stat("1 (x", &s, &flags) != 0);
    CHECK(iso_category_from_name("STORAGE") == ISO_STORAGE && iso_category_from_name("DISK") < 0);
    if (!fails)
        printf("selftest: ok (CRC-32C check value 0xE3069283, frame layout, stat parsing)\n");
    return fails ? 1 : 0;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: isochron-agent --port PATH|unix:PATH --vm ID [--interval-ms N] [--cycle-us N] "
               "[--priority P] [--hint-dir DIR] [--frames N]\n"
               "       isochron-agent --selftest\n");
}

static unsigned long parse_num(const char *opt, const char *v, unsigned long lo, unsigned long hi)
{
    char *end;
    errno = 0;
    unsigned long n = v ? strtoul(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || n < lo || n > hi || v[0] == '-') {
        fprintf(stderr, "isochron-agent: %s must be a whole number in %lu..%lu, got '%s'\n", opt, lo, hi, v ? v : "");
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    clk_tck = sysconf(_SC_CLK_TCK);
    if (clk_tck <= 0)
        clk_tck = 100;
    struct config cfg = {.hint_dir = "/run/isochron/hint", .interval_ms = 100, .cycle_us = 1000, .priority = 80};
    bool have_vm = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--selftest") == 0)
            return selftest();
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--port") == 0 && v) {
            cfg.port = v;
        } else if (strcmp(a, "--hint-dir") == 0 && v) {
            cfg.hint_dir = v;
        } else if (strcmp(a, "--vm") == 0) {
            cfg.vm = (uint32_t)parse_num(a, v, 0, UINT32_MAX);
            have_vm = true;
        } else if (strcmp(a, "--interval-ms") == 0) {
            cfg.interval_ms = (uint32_t)parse_num(a, v, 10, 60000);
        } else if (strcmp(a, "--cycle-us") == 0) {
            cfg.cycle_us = (uint32_t)parse_num(a, v, 0, ISO_MAX_CYCLE_US);
            if (cfg.cycle_us != 0 && cfg.cycle_us < ISO_MIN_CYCLE_US) {
                fprintf(stderr, "isochron-agent: --cycle-us must be 0 (no probe) or 100..10000000, got '%s'\n", v);
                return 2;
            }
        } else if (strcmp(a, "--priority") == 0) {
            cfg.priority = (int)parse_num(a, v, 0, 99);
        } else if (strcmp(a, "--frames") == 0) {
            cfg.frames = (long)parse_num(a, v, 1, LONG_MAX);
        } else {
            fprintf(stderr, "isochron-agent: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (strncmp(a, "--", 2) == 0 && strcmp(a, "--selftest") != 0)
            i++;
    }
    if (!cfg.port || !have_vm) {
        fprintf(stderr, "isochron-agent: --port and --vm are required\n");
        usage(stderr);
        return 2;
    }
    if (cfg.cycle_us && (uint64_t)cfg.interval_ms * 1000u / cfg.cycle_us > ISO_MAX_SAMPLES) {
        fprintf(stderr, "isochron-agent: --cycle-us %u is too short for --interval-ms %u: a frame holds at most %d "
                "cycles (interval / cycle <= %d)\n", cfg.cycle_us, cfg.interval_ms, ISO_MAX_SAMPLES, ISO_MAX_SAMPLES);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl; /* one kept descriptor per /proc file of every task */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    read_small("/sys/class/tty/console/active", console_names, sizeof console_names);
    /* Page faults in the probe would show up as latency that the guest's load did not cause. */
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        log_once(LOG_MLOCK, "mlockall failed (%s); probe latencies may include page faults", strerror(errno));
    if (cfg.cycle_us)
        start_probe(&cfg);

    struct table tabs[2] = {{0}, {0}};
    struct iso_task *entries = calloc(ISO_MAX_TASKS, sizeof *entries);
    uint8_t *frame = malloc(ISO_MAX_FRAME);
    static uint16_t lat[ISO_MAX_SAMPLES];
    if (!entries || !frame) {
        fprintf(stderr, "isochron-agent: out of memory\n");
        return 1;
    }
    int cur = 0;
    sample_tasks(&tabs[cur]);
    uint64_t net_prev = net_bytes();
    bool first = true;
    uint32_t seq = 0;
    uint64_t interval = (uint64_t)cfg.interval_ms * 1000000u;
    uint64_t next = iso_now_ns();
    for (long sent = 0; cfg.frames == 0 || sent < cfg.frames; sent++) {
        next += interval;
        struct timespec ts = to_timespec(next);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        uint64_t t = iso_now_ns();
        if (t > next + interval) { /* fell behind (guest paused, host overloaded): do not burst */
            log_once(LOG_LATE, "sampling fell behind by %llu ms; skipping the missed intervals",
                     (unsigned long long)((t - next) / 1000000u));
            next = t;
        }
        int prev = cur;
        cur ^= 1;
        sample_tasks(&tabs[cur]);
        uint64_t net_now = net_bytes();
        size_t n = summarise(&cfg, &tabs[prev], &tabs[cur], first, first ? 0 : delta(net_now, net_prev), entries);
        net_prev = net_now;
        first = false;
        struct iso_header h = {.vm = cfg.vm, .seq = seq++, .timestamp_ns = iso_now_ns()};
        struct iso_cycle cyc = {.cycle_us = cfg.cycle_us, .latency_us = lat};
        if (cfg.cycle_us)
            cyc.count = take_samples(lat, &cyc.overruns);
        size_t len = iso_encode(frame, ISO_MAX_FRAME, &h, entries, n, cfg.cycle_us ? &cyc : NULL);
        if (len)
            port_write(&cfg, frame, len);
    }
    return 0;
}
