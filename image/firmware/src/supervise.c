/*
 * isochron-supervise: runs the appliance in the firmware the way its systemd unit does on a
 * Debian host (image/systemd/isochron.service), without systemd:
 *
 *   - as an unprivileged user with only the capabilities it needs (ambient), memlock and rtprio
 *     limits raised, umask 077, no new privileges;
 *   - with a notification socket ($NOTIFY_SOCKET, the sd_notify protocol): READY=1, WATCHDOG=1,
 *     STOPPING=1 from the appliance, and $WATCHDOG_USEC telling it how often to pet;
 *   - restarted when it exits or stops petting the watchdog, with a back-off while it keeps failing;
 *   - the hardware watchdog (/dev/watchdog) petted only while the appliance is healthy or starting,
 *     so that a hung box resets;
 *   - <socket directory>/ready present while the appliance is up (after READY=1);
 *   - with --log FILE, everything the appliance and the supervisor print also kept in FILE (on the
 *     state volume, so that it outlives the boot), FILE.1 the previous part once FILE passes its
 *     size; a file that cannot be written is said once and retried every minute, the console never
 *     waits on it;
 *   - SIGTERM: stop the appliance (SIGTERM, then SIGKILL after the stop timeout), disarm the
 *     hardware watchdog, exit 0.
 *
 * With --exec it only becomes the user and runs COMMAND in its place, unsupervised (the firmware's
 * guests: their own loop restarts them).
 *
 * Invoked as "systemd-notify" it is the client side instead: sends its arguments to $NOTIFY_SOCKET
 * (the appliance's watchdog code calls systemd-notify; the firmware has no systemd).
 *
 * Usage: isochron-supervise [options] -- COMMAND [ARG...]   (see usage() below)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/watchdog.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "isochron-supervise";

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the log file (--log): a copy of the console output, in two parts of at most max bytes ---- */

static struct {
    const char *path;
    long long max;
    int fd;                /* -1: closed */
    long long size;
    long long retry_at;    /* after a failure: when to open it again */
    int failing;           /* said so on the console; said again only once it works again */
} log_file = {.fd = -1};

static void say(const char *fmt, ...);

/* The log cannot be written (errno e): the console only, once a minute another try. */
static void log_fail(int e) {
    if (log_file.fd >= 0) close(log_file.fd);
    log_file.fd = -1;
    log_file.retry_at = now_ms() + 60000;
    if (!log_file.failing) {
        log_file.failing = 1;
        say("cannot write the log %s: %s; the console only, trying again every minute", log_file.path, strerror(e));
    }
}

static void log_open(void) {
    struct stat st;
    log_file.fd = open(log_file.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (log_file.fd < 0 || fstat(log_file.fd, &st) != 0) {
        log_fail(errno);
        return;
    }
    log_file.size = st.st_size;
}

static void log_write(const char *buf, size_t n) {
    if (log_file.path == NULL) {
        return;
    }
    if (log_file.fd < 0) {
        if (now_ms() < log_file.retry_at) {
            return;
        }
        log_open();
        if (log_file.fd < 0) {
            return;
        }
    }
    if (log_file.size + (long long)n > log_file.max) {
        char old[4096];
        snprintf(old, sizeof old, "%s.1", log_file.path);
        close(log_file.fd);
        log_file.fd = -1;
        if (rename(log_file.path, old) != 0) {
            unlink(log_file.path);
        }
        log_open();
        if (log_file.fd < 0) {
            return;
        }
    }
    ssize_t w = write(log_file.fd, buf, n);
    if (w != (ssize_t)n) {
        log_fail(w < 0 ? errno : ENOSPC);
        return;
    }
    log_file.size += w;
    if (log_file.failing) {
        log_file.failing = 0;
        say("writing the log %s again", log_file.path);
    }
}

/* Output goes to the console (stderr) and, with --log, to the log file. */
static void out(const char *buf, size_t n) {
    log_write(buf, n);
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        buf += w;
        n -= (size_t)w;
    }
}

static void say(const char *fmt, ...) {
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: ", prog);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    out(line, (size_t)n);
}

/* ---- client: systemd-notify [--no-block] [--pid=N] [--ready] MESSAGE... ---- */

static int notify_client(int argc, char **argv) {
    const char *path = getenv("NOTIFY_SOCKET");
    char msg[1024] = "";
    size_t len = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--no-block") == 0 || strncmp(a, "--pid", 5) == 0) {
            continue; /* the supervisor trusts its own child's process tree */
        }
        if (strcmp(a, "--ready") == 0) {
            a = "READY=1";
        } else if (a[0] == '-') {
            fprintf(stderr, "systemd-notify: option %s is not supported here (allowed: --no-block, --pid, --ready)\n", a);
            return 2;
        }
        int n = snprintf(msg + len, sizeof msg - len, "%s%s", len ? "\n" : "", a);
        if (n < 0 || (size_t)n >= sizeof msg - len) {
            fprintf(stderr, "systemd-notify: message longer than %zu bytes\n", sizeof msg - 1);
            return 2;
        }
        len += (size_t)n;
    }
    if (path == NULL || path[0] == '\0') {
        return 0; /* not supervised: nothing to tell, as with systemd */
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "systemd-notify: NOTIFY_SOCKET path too long\n");
        return 2;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "systemd-notify: cannot send to %s: %s\n", path, strerror(errno));
        return 1;
    }
    close(fd);
    return 0;
}

/* ---- supervisor ---- */

/* What the appliance has written into the pipe so far, to the console and the log. */
static void copy_output(int fd) {
    char buf[16384];
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0) {
        out(buf, (size_t)n);
    }
}

struct options {
    const char *user;
    unsigned long long caps; /* bit set of CAP_* */
    int watchdog_sec;        /* appliance watchdog; 0 = off */
    int start_sec;           /* time allowed from start to READY=1 */
    int stop_sec;            /* time allowed from SIGTERM to exit */
    const char *hw_watchdog; /* device, or NULL */
    int hw_timeout_sec;
    const char *socket_path;
    int exec_only;           /* --exec: become the user and exec, no supervision */
    const char *log;         /* --log: copy of the output, or NULL */
    int log_max_mb;
    char **command;
};

static void usage(void) {
    fprintf(stderr,
            "usage: %s [--user NAME] [--caps NAME,...] [--watchdog-sec N] [--start-sec N] [--stop-sec N]\n"
            "          [--hw-watchdog DEVICE] [--hw-timeout-sec N] [--socket PATH] [--log FILE [--log-max-mb N]]\n"
            "          -- COMMAND [ARG...]\n"
            "       %s --exec [--user NAME] [--caps NAME,...] -- COMMAND [ARG...]\n"
            "  --caps: capabilities kept (ambient) for the unprivileged user: sys_nice, ipc_lock, sys_resource\n",
            prog, prog);
}

static int parse_int(const char *opt, const char *v, int lo, int hi) {
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
        say("%s = '%s' is not a whole number from %d to %d", opt, v, lo, hi);
        exit(2);
    }
    return (int)n;
}

static unsigned long long parse_caps(const char *v) {
    static const struct { const char *name; int cap; } known[] = {
        {"sys_nice", CAP_SYS_NICE}, {"ipc_lock", CAP_IPC_LOCK}, {"sys_resource", CAP_SYS_RESOURCE}};
    unsigned long long set = 0;
    char *copy = strdup(v), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strncasecmp(t, "cap_", 4) == 0) {
            t += 4;
        }
        size_t i;
        for (i = 0; i < sizeof known / sizeof known[0]; i++) {
            if (strcasecmp(t, known[i].name) == 0) {
                set |= 1ULL << known[i].cap;
                break;
            }
        }
        if (i == sizeof known / sizeof known[0]) {
            say("--caps: unknown capability '%s' (allowed: sys_nice, ipc_lock, sys_resource)", t);
            exit(2);
        }
    }
    free(copy);
    return set;
}

static struct options parse(int argc, char **argv) {
    struct options o = {.start_sec = 120, .stop_sec = 20, .hw_timeout_sec = 30, .socket_path = "/run/isochron/notify",
                        .log_max_mb = 4};
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--exec") == 0) {
            o.exec_only = 1;
            continue;
        }
        if (i + 1 >= argc) {
            say("option %s needs a value", a);
            usage();
            exit(2);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--user") == 0) o.user = v;
        else if (strcmp(a, "--caps") == 0) o.caps = parse_caps(v);
        else if (strcmp(a, "--watchdog-sec") == 0) o.watchdog_sec = parse_int(a, v, 0, 3600);
        else if (strcmp(a, "--start-sec") == 0) o.start_sec = parse_int(a, v, 1, 3600);
        else if (strcmp(a, "--stop-sec") == 0) o.stop_sec = parse_int(a, v, 1, 3600);
        else if (strcmp(a, "--hw-watchdog") == 0) o.hw_watchdog = v;
        else if (strcmp(a, "--hw-timeout-sec") == 0) o.hw_timeout_sec = parse_int(a, v, 5, 600);
        else if (strcmp(a, "--socket") == 0) o.socket_path = v;
        else if (strcmp(a, "--log") == 0) o.log = v;
        else if (strcmp(a, "--log-max-mb") == 0) o.log_max_mb = parse_int(a, v, 1, 1024);
        else {
            say("unknown option '%s'", a);
            usage();
            exit(2);
        }
    }
    if (i + 1 >= argc) {
        say("no command to supervise (after --)");
        usage();
        exit(2);
    }
    o.command = argv + i + 1;
    return o;
}

/* From /etc/passwd itself: a static binary must not depend on glibc's NSS modules. */
static struct passwd *find_user(const char *name) {
    FILE *f = fopen("/etc/passwd", "re");
    struct passwd *pw = NULL;
    if (f != NULL) {
        while ((pw = fgetpwent(f)) != NULL && strcmp(pw->pw_name, name) != 0) {
        }
        fclose(f);
    }
    return pw;
}

/* In the child: become the user with only the given capabilities, then exec. */
static void drop_and_exec(const struct options *o) {
    struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    struct rlimit rtprio = {99, 99};
    if (setrlimit(RLIMIT_MEMLOCK, &unlimited) != 0 || setrlimit(RLIMIT_RTPRIO, &rtprio) != 0) {
        say("cannot raise RLIMIT_MEMLOCK/RLIMIT_RTPRIO: %s", strerror(errno));
    }
    umask(077);
    if (o->user != NULL) {
        struct passwd *pw = find_user(o->user);
        if (pw == NULL) {
            say("user '%s' is not in /etc/passwd", o->user);
            _exit(127);
        }
        if (prctl(PR_SET_KEEPCAPS, 1) != 0 || setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0
            || setuid(pw->pw_uid) != 0) {
            say("cannot become user '%s': %s", o->user, strerror(errno));
            _exit(127);
        }
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2] = {{0}};
        d[0].effective = d[0].permitted = d[0].inheritable = (unsigned)(o->caps & 0xffffffffu);
        d[1].effective = d[1].permitted = d[1].inheritable = (unsigned)(o->caps >> 32);
        if (syscall(SYS_capset, &h, d) != 0) {
            say("cannot keep capabilities: %s", strerror(errno));
            _exit(127);
        }
        for (int c = 0; c < 64; c++) {
            if ((o->caps >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0) {
                say("cannot make capability %d ambient: %s", c, strerror(errno));
                _exit(127);
            }
        }
        setenv("HOME", pw->pw_dir, 1);
        setenv("USER", pw->pw_name, 1);
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (!o->exec_only) {
        setenv("NOTIFY_SOCKET", o->socket_path, 1);
    }
    if (o->watchdog_sec > 0 && !o->exec_only) { /* as systemd does: the appliance pets at half of it */
        char usec[32];
        snprintf(usec, sizeof usec, "%lld", o->watchdog_sec * 1000000LL);
        setenv("WATCHDOG_USEC", usec, 1);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(o->command[0], o->command);
    say("cannot run %s: %s", o->command[0], strerror(errno));
    _exit(127);
}

static int open_notify_socket(const char *path, uid_t owner) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        say("--socket path too long: %s", path);
        exit(2);
    }
    strcpy(sa.sun_path, path);
    char dir[sizeof sa.sun_path];
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        say("cannot create the notification socket %s: %s", path, strerror(errno));
        exit(1);
    }
    if (chown(path, owner, (gid_t)-1) != 0) {
        say("cannot hand %s to the appliance's user: %s", path, strerror(errno));
    }
    chmod(path, 0600);
    return fd;
}

/* "ready" beside the socket exists while the appliance is up (READY=1 until it ends), for scripts. */
static void mark_ready(const char *socket_path, int ready) {
    char path[256];
    const char *slash = strrchr(socket_path, '/');
    int dir = slash ? (int)(slash - socket_path) : 0;
    snprintf(path, sizeof path, "%.*s%sready", dir, socket_path, slash ? "/" : "");
    if (ready) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
    } else {
        unlink(path);
    }
}

/* The hardware watchdog: armed while we run, petted while the appliance is healthy. */
static int hw_open(const struct options *o) {
    if (o->hw_watchdog == NULL) {
        return -1;
    }
    int fd = open(o->hw_watchdog, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        say("no hardware watchdog (%s: %s); the appliance is still supervised", o->hw_watchdog, strerror(errno));
        return -1;
    }
    int t = o->hw_timeout_sec;
    if (ioctl(fd, WDIOC_SETTIMEOUT, &t) != 0) {
        ioctl(fd, WDIOC_GETTIMEOUT, &t);
    }
    say("hardware watchdog %s armed: the box resets if the appliance is unhealthy for %d s", o->hw_watchdog, t);
    return fd;
}

static void hw_close(int fd) {
    if (fd >= 0) {
        if (write(fd, "V", 1) != 1) { /* magic close: disarm */
            say("could not disarm the hardware watchdog: %s", strerror(errno));
        }
        close(fd);
    }
}

int main(int argc, char **argv) {
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    if (strcmp(base, "systemd-notify") == 0) {
        prog = "systemd-notify";
        return notify_client(argc, argv);
    }
    struct options o = parse(argc, argv);
    uid_t owner = 0;
    if (o.user != NULL) {
        struct passwd *pw = find_user(o.user);
        if (pw == NULL) {
            say("user '%s' is not in /etc/passwd", o.user);
            return 2;
        }
        owner = pw->pw_uid;
    }
    if (o.exec_only) {
        drop_and_exec(&o);
    }

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    /* With --log the appliance writes into a pipe that is copied to the console and the file. */
    int out_pipe[2] = {-1, -1};
    if (o.log != NULL) {
        log_file.path = o.log;
        log_file.max = o.log_max_mb * 1048576LL / 2; /* two parts */
        log_open();
        if (pipe2(out_pipe, O_CLOEXEC) != 0) {
            say("cannot make a pipe for the log: %s; the console only", strerror(errno));
            out_pipe[0] = out_pipe[1] = -1;
        } else {
            fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
        }
    }
    int nfd = open_notify_socket(o.socket_path, owner);
    int hw = hw_open(&o);

    int failures = 0;      /* consecutive runs that ended within a minute or before READY=1 */
    int stopping = 0;
    pid_t child = 0;
    long long started = 0, last_pet = 0, kill_at = 0, restart_at = now_ms();
    int ready = 0;

    for (;;) {
        long long now = now_ms();
        if (child == 0 && !stopping && now >= restart_at) {
            child = fork();
            if (child < 0) {
                say("fork failed: %s; retrying in 5 s", strerror(errno));
                child = 0;
                restart_at = now + 5000;
            } else if (child == 0) {
                close(sfd);
                close(nfd);
                if (hw >= 0) close(hw);
                if (out_pipe[1] >= 0) {
                    dup2(out_pipe[1], STDOUT_FILENO);
                    dup2(out_pipe[1], STDERR_FILENO);
                }
                drop_and_exec(&o);
            } else {
                started = last_pet = now;
                ready = 0;
                say("started %s (pid %d)", o.command[0], child);
            }
        }
        /* Healthy or still starting: the hardware watchdog gets its pet. */
        int healthy = child != 0 && (ready ? o.watchdog_sec == 0 || now - last_pet <= o.watchdog_sec * 1000LL
                                           : now - started <= o.start_sec * 1000LL);
        if (hw >= 0 && (healthy || stopping || child == 0)) {
            ioctl(hw, WDIOC_KEEPALIVE, 0);
        }
        if (child != 0 && kill_at == 0 && !healthy && !stopping) {
            if (ready) {
                say("no WATCHDOG=1 from pid %d for %d s: stopping it to restart", child, o.watchdog_sec);
            } else {
                say("pid %d not READY=1 within %d s: stopping it to restart", child, o.start_sec);
            }
            kill(child, SIGQUIT); /* a JVM prints its threads: what it hung on, for whoever reads the log */
            kill(child, SIGTERM);
            kill_at = now + o.stop_sec * 1000LL;
        }
        if (child != 0 && kill_at != 0 && now >= kill_at) {
            say("pid %d did not exit within %d s: SIGKILL", child, o.stop_sec);
            kill(child, SIGKILL);
            kill_at = now + 1000000; /* once */
        }

        struct pollfd p[3] = {{.fd = sfd, .events = POLLIN}, {.fd = nfd, .events = POLLIN},
                              {.fd = out_pipe[0], .events = POLLIN}};
        if (poll(p, 3, 1000) < 0 && errno != EINTR) {
            say("poll: %s", strerror(errno));
        }
        char buf[4096];
        ssize_t n;
        copy_output(out_pipe[0]);
        while ((n = recv(nfd, buf, sizeof buf - 1, 0)) > 0) {
            buf[n] = '\0';
            char *save = NULL;
            for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strcmp(line, "READY=1") == 0 && !ready) {
                    ready = 1;
                    last_pet = now_ms();
                    say("pid %d is ready after %.1f s", child, (last_pet - started) / 1000.0);
                    mark_ready(o.socket_path, 1);
                } else if (strcmp(line, "WATCHDOG=1") == 0) {
                    last_pet = now_ms();
                } else if (strcmp(line, "STOPPING=1") == 0) {
                    say("pid %d is stopping", child);
                }
            }
        }
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == sizeof si) {
            if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                if (!stopping) {
                    stopping = 1;
                    say("stopping the appliance%s", child ? "" : " (not running)");
                    if (child) {
                        kill(child, SIGTERM);
                        kill_at = now_ms() + o.stop_sec * 1000LL;
                    }
                }
            }
        }
        int status;
        pid_t gone;
        while ((gone = waitpid(-1, &status, WNOHANG)) > 0) {
            if (gone != child) {
                continue;
            }
            long long ran = now_ms() - started;
            if (WIFEXITED(status)) {
                say("pid %d exited with status %d after %.1f s", gone, WEXITSTATUS(status), ran / 1000.0);
            } else {
                say("pid %d killed by signal %d after %.1f s", gone, WTERMSIG(status), ran / 1000.0);
            }
            child = 0;
            kill_at = 0;
            mark_ready(o.socket_path, 0);
            if (!ready || ran < 60000) {
                failures++;
            } else {
                failures = 0;
            }
            int delay = failures <= 1 ? 2 : failures >= 5 ? 30 : 2 << (failures - 1);
            restart_at = now_ms() + delay * 1000LL;
            if (!stopping) {
                say("restarting in %d s", delay);
            }
        }
        if (stopping && child == 0) {
            copy_output(out_pipe[0]);
            hw_close(hw);
            unlink(o.socket_path);
            say("stopped");
            if (log_file.fd >= 0) fsync(log_file.fd);
            return 0;
        }
    }
}
