/* isochron-load: a known load for a guest, so tests can check that its vCPUs get classified by it.
 * Each mode works for duty% of every period and sleeps the rest, so the vCPU is not simply 100 %
 * busy. The work is real: RAM streams a buffer larger than the caches, STORAGE does direct I/O on a
 * block device, ETHERNET moves bytes over TCP loopback, BUS writes to a serial port. */
#define _GNU_SOURCE
#include "port.h"
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000ull

static const char *const MODES = "cpu, ram, cache, storage, ethernet, bus, garbage, idle";

struct opts {
    const char *mode;
    const char *device;
    const char *hint_dir;
    const char *hint; /* "CATEGORY PERCENT" written for this process, or NULL */
    unsigned duty, period_ms, size_mb, block_kb, duration_s;
    uint32_t vm;
    bool flood;
};

static struct opts o = {.hint_dir = "/run/isochron/hint", .duty = 50, .period_ms = 100, .size_mb = 64, .block_kb = 256};
static char hint_path[PATH_MAX];

static void sleep_until(uint64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "isochron-load: ");
    fprintf(stderr, fmt, arg, strerror(errno));
    fputc('\n', stderr);
    exit(1);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- hint file: /proc cannot see memory or cache bandwidth, so those modes say what they do ---- */

static void remove_hint(int sig)
{
    if (hint_path[0])
        unlink(hint_path);
    if (sig)
        _exit(0);
}

static void remove_hint_at_exit(void)
{
    remove_hint(0);
}

static void write_hint(const char *text)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", o.hint_dir);
    for (char *p = dir + 1; *p; p++) /* mkdir -p */
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0755);
            *p = '/';
        }
    mkdir(dir, 0755);
    snprintf(hint_path, sizeof hint_path, "%s/%d", o.hint_dir, (int)getpid());
    FILE *f = fopen(hint_path, "w");
    if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0)
        die("cannot write hint file %s (%s)", hint_path);
    signal(SIGTERM, remove_hint);
    signal(SIGINT, remove_hint);
    atexit(remove_hint_at_exit);
}

/* ---- work units: each call does well under a millisecond of work, so the duty cycle holds ---- */

static volatile uint64_t sink;

static void work_cpu(void)
{
    uint64_t x = 0;
    for (int i = 0; i < 20000; i++)
        x += next_random() >> 3;
    sink = x;
}

static uint8_t *ram_buf;
static size_t ram_size, ram_pos;

/* Streams 256 KiB: reads one half of the buffer and writes the other, so every chunk misses the
 * caches once the whole buffer is larger than them. */
static void work_ram(void)
{
    const size_t chunk = 256 * 1024;
    size_t half = ram_size / 2;
    if (ram_pos + chunk > half)
        ram_pos = 0;
    memcpy(ram_buf + half + ram_pos, ram_buf + ram_pos, chunk);
    ram_pos += chunk;
}

static void work_cache(void)
{
    uint64_t *p = (uint64_t *)ram_buf, x = 0;
    for (size_t i = 0; i < ram_size / 8; i++)
        x += p[i] ^= i;
    sink = x;
}

static int dev_fd = -1;
static uint8_t *io_buf;
static off_t dev_size, dev_pos;
static bool dev_direct;

static void open_storage(void)
{
    dev_fd = open(o.device, O_RDWR | O_DIRECT | O_CLOEXEC);
    dev_direct = dev_fd >= 0;
    if (dev_fd < 0 && errno == EINVAL) /* file system without O_DIRECT: buffered + fdatasync */
        dev_fd = open(o.device, O_RDWR | O_CLOEXEC);
    if (dev_fd < 0)
        die("storage: cannot open %s (%s); give the guest a virtio disk (-drive if=virtio) or pass --device", o.device);
    off_t end = lseek(dev_fd, 0, SEEK_END);
    dev_size = (off_t)o.size_mb << 20;
    if (end > 0 && end < dev_size)
        dev_size = end;
    dev_size -= dev_size % ((off_t)o.block_kb << 10);
    if (dev_size < (off_t)o.block_kb << 10) {
        errno = ENOSPC;
        die("storage: %s is smaller than one block (%s); use a larger disk or a smaller --block-kb", o.device);
    }
    if (posix_memalign((void **)&io_buf, 4096, (size_t)o.block_kb << 10) != 0)
        die("storage: out of memory%s (%s)", "");
    for (size_t i = 0; i < (size_t)o.block_kb << 10; i++)
        io_buf[i] = (uint8_t)next_random();
}

/* One block written, then one read back from another place, so both read_bytes and write_bytes move. */
static void work_storage(void)
{
    size_t blk = (size_t)o.block_kb << 10;
    if (pwrite(dev_fd, io_buf, blk, dev_pos) < 0)
        die("storage: write to %s failed (%s)", o.device);
    if (!dev_direct)
        fdatasync(dev_fd);
    off_t back = (dev_pos + dev_size / 2) % dev_size;
    if (!dev_direct) /* without O_DIRECT a read would hit the page cache and never reach the disk */
        posix_fadvise(dev_fd, back, (off_t)blk, POSIX_FADV_DONTNEED);
    if (pread(dev_fd, io_buf, blk, back) < 0)
        die("storage: read from %s failed (%s)", o.device);
    dev_pos = (dev_pos + (off_t)blk) % dev_size;
}

static int tx_fd = -1;

static void *receiver(void *arg)
{
    int fd = *(int *)arg;
    static uint8_t buf[65536];
    for (;;)
        if (read(fd, buf, sizeof buf) <= 0)
            _exit(1); /* the sender is this process: a closed connection means it is gone */
    return NULL;
}

static void open_ethernet(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &len) != 0)
        die("ethernet: cannot listen on 127.0.0.1%s (%s); is the loopback interface up?", "");
    tx_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (tx_fd < 0 || connect(tx_fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("ethernet: cannot connect to 127.0.0.1%s (%s)", "");
    static int rx_fd;
    rx_fd = accept(ls, NULL, NULL);
    if (rx_fd < 0)
        die("ethernet: accept failed%s (%s)", "");
    close(ls);
    pthread_t th;
    if (pthread_create(&th, NULL, receiver, &rx_fd) != 0)
        die("ethernet: cannot start the receiver thread%s (%s)", "");
}

static void work_ethernet(void)
{
    static uint8_t buf[65536];
    /* write(), not send(): only read()/write() count in the rchar/wchar the agent reads */
    if (write(tx_fd, buf, sizeof buf) < 0)
        die("ethernet: write failed%s (%s)", "");
}

static int open_port(void)
{
    int raw_failed;
    int fd = iso_port_open(o.device, &raw_failed);
    if (fd < 0)
        die("cannot open port %s (%s)", o.device);
    return fd;
}

/* What the port does not take by the end of the on-time is dropped: the duty cycle wins. */
static void write_port(int fd, const uint8_t *buf, size_t len, uint64_t deadline)
{
    if (iso_port_write(fd, buf, len, deadline) < 0)
        die("write to %s failed (%s)", o.device);
}

static uint64_t on_deadline;

static void work_bus(void)
{
    static uint8_t buf[256];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)i;
    write_port(dev_fd, buf, sizeof buf, on_deadline);
}

/* Frames the host must reject, one rejection reason after another (docs/protocol.md, Validation),
 * and runs of random bytes in between; with --flood, valid frames as fast as the port takes them. */
static void work_garbage(void)
{
    static uint8_t f[ISO_MAX_FRAME + 64];
    static unsigned kind;
    static uint32_t seq;
    struct iso_task t = {.pid = 1, .state = ISO_RUNNING, .hint = ISO_NO_HINT, .cpu_us = 1000};
    uint16_t lat[4] = {5, 6, 7, 8};
    struct iso_cycle c = {.cycle_us = 1000, .count = 4, .latency_us = lat};
    struct iso_header h = {.vm = o.vm, .seq = seq++, .timestamp_ns = iso_now_ns()};
    size_t len = iso_encode(f, sizeof f - 64, &h, &t, 1, &c);
    size_t body = len - 4;
    bool fix_crc = true;
    switch (o.flood ? 0 : 1 + kind++ % 7) {
    case 0: fix_crc = false; break; /* valid: --flood only */
    case 1: f[30] ^= 0x5A; fix_crc = false; break; /* crc */
    case 2: f[4] = 2; break;   /* version */
    case 3: f[5] |= 0x80; break;  /* flags */
    case 4: iso_put16(f + 6, (uint16_t)(body - 24 + 6)); memset(f + body, 0, 6); body += 6; break; /* length */
    case 5: f[30] = 9; break;  /* count: state > 3 */
    case 6: iso_put32(f + 8, o.vm + 1); break; /* vm */
    default: /* random bytes, sometimes starting like a frame */
        body = 64 + next_random() % 512;
        for (size_t i = 0; i < body; i++)
            f[i] = (uint8_t)next_random();
        if (next_random() & 1)
            memcpy(f, "ISOC", 4);
        write_port(dev_fd, f, body, on_deadline);
        return;
    }
    if (fix_crc)
        iso_put32(f + body, iso_crc32c(0, f, body));
    write_port(dev_fd, f, body + 4, on_deadline);
}

/* ---- command line ---- */

static unsigned num(const char *opt, const char *v, unsigned lo, unsigned hi)
{
    char *end;
    errno = 0;
    unsigned long n = v ? strtoul(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || v[0] == '-' || n < lo || n > hi) {
        fprintf(stderr, "isochron-load: %s must be a whole number in %u..%u, got '%s'\n", opt, lo, hi, v ? v : "");
        exit(2);
    }
    return (unsigned)n;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: isochron-load --mode MODE [--duty PERCENT] [--period-ms N] [--device PATH] [--size-mb N]\n"
               "                     [--block-kb N] [--hint \"CATEGORY PERCENT\"] [--hint-dir DIR] [--vm ID] [--flood]\n"
               "                     [--duration S]\n"
               "MODE: %s\n", MODES);
}

int main(int argc, char **argv)
{
    static char hint_text[32];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--flood") == 0) {
            o.flood = true;
            continue;
        } else if (strcmp(a, "--mode") == 0 && v) {
            o.mode = v;
        } else if (strcmp(a, "--device") == 0 && v) {
            o.device = v;
        } else if (strcmp(a, "--hint-dir") == 0 && v) {
            o.hint_dir = v;
        } else if (strcmp(a, "--hint") == 0 && v) {
            char name[16];
            unsigned pct;
            if (sscanf(v, "%15s %u", name, &pct) != 2 || iso_category_from_name(name) < 0 || pct > 100) {
                fprintf(stderr, "isochron-load: --hint must be \"CATEGORY PERCENT\" with CATEGORY one of "
                        "GPU RAM CACHE ETHERNET BUS STORAGE NONE and PERCENT 0..100, got '%s'\n", v);
                return 2;
            }
            o.hint = v;
        } else if (strcmp(a, "--duty") == 0) {
            o.duty = num(a, v, 1, 100);
        } else if (strcmp(a, "--period-ms") == 0) {
            o.period_ms = num(a, v, 10, 10000);
        } else if (strcmp(a, "--size-mb") == 0) {
            o.size_mb = num(a, v, 1, 4096);
        } else if (strcmp(a, "--block-kb") == 0) {
            o.block_kb = num(a, v, 4, 16384);
            if (o.block_kb % 4) {
                fprintf(stderr, "isochron-load: --block-kb must be a multiple of 4 (direct I/O alignment), got '%s'\n", v);
                return 2;
            }
        } else if (strcmp(a, "--vm") == 0) {
            o.vm = num(a, v, 0, UINT_MAX);
        } else if (strcmp(a, "--duration") == 0) {
            o.duration_s = num(a, v, 0, UINT_MAX / 2);
        } else {
            fprintf(stderr, "isochron-load: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (!o.mode) {
        fprintf(stderr, "isochron-load: --mode is required (one of %s)\n", MODES);
        return 2;
    }
    rng ^= (uint64_t)getpid() << 32 | (uint64_t)iso_now_ns();
    void (*work)(void) = NULL;
    const char *m = o.mode;
    if (strcmp(m, "cpu") == 0) {
        work = work_cpu;
    } else if (strcmp(m, "ram") == 0 || strcmp(m, "cache") == 0) {
        bool ram = m[0] == 'r';
        /* RAM: twice the default 64 MiB halves beat any last-level cache; CACHE: 128 KiB stays in L2 */
        ram_size = ram ? (size_t)o.size_mb << 20 : 128 * 1024;
        ram_buf = malloc(ram_size);
        if (!ram_buf)
            die("%s: cannot allocate the buffer (%s); lower --size-mb", m);
        memset(ram_buf, 1, ram_size);
        work = ram ? work_ram : work_cache;
        if (!o.hint) {
            snprintf(hint_text, sizeof hint_text, "%s %u", ram ? "RAM" : "CACHE", o.duty);
            o.hint = hint_text;
        }
    } else if (strcmp(m, "storage") == 0) {
        if (!o.device)
            o.device = "/dev/vda";
        open_storage();
        work = work_storage;
    } else if (strcmp(m, "ethernet") == 0) {
        open_ethernet();
        work = work_ethernet;
    } else if (strcmp(m, "bus") == 0 || strcmp(m, "garbage") == 0) {
        bool bus = m[0] == 'b';
        if (!o.device)
            o.device = bus ? "/dev/ttyS2" : "/dev/ttyS1";
        dev_fd = open_port();
        work = bus ? work_bus : work_garbage;
    } else if (strcmp(m, "idle") != 0) {
        fprintf(stderr, "isochron-load: unknown mode '%s' (allowed: %s)\n", m, MODES);
        return 2;
    }
    if (o.hint)
        write_hint(o.hint);

    uint64_t period = o.period_ms * NS_PER_MS, on = period * o.duty / 100;
    uint64_t start = iso_now_ns(), end = o.duration_s ? start + o.duration_s * 1000000000ull : UINT64_MAX;
    for (uint64_t p = start; p < end; p += period) {
        on_deadline = p + on;
        if (work)
            while (iso_now_ns() < on_deadline)
                work();
        sleep_until(p + period);
    }
    return 0;
}
