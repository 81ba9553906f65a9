/*
 * isochron-scx serve: the scheduler's privileged end for the appliance (docs/schedext.md). It
 * listens on a Unix socket that only its group may use; the appliance's KVM bridge connects, asks
 * it to attach the scheduler, and from then on gives vCPU threads their categories and switches
 * the mode, one line per command:
 *
 *   attach                      -> attached SECONDS OPS | error attach: REASON
 *   mode shortest-queue         -> mode shortest-queue 0           (read back from the control block)
 *   mode interference-aware O   -> mode interference-aware O
 *   mode edf | edf-refinement   -> mode edf 0 | mode edf-refinement 0
 *   thread TID CATEGORY [D T C] -> nothing, or error thread TID: REASON   (CATEGORY 0-7; moves it to SCHED_EXT;
 *                                  D T C: relative deadline, period, run time per job in us, for the EDF modes)
 *   forget TID                  -> nothing (the thread is gone or no longer the scheduler's)
 *   stats                       -> stats WAKEUPS then, per category 0-7: RUN CORUN EVENTS DISPATCHES REFUSED UNADMITTED
 *                                  VIOLATIONS JOBS MISSES (times in ns; jobs of threads with timing, and those that
 *                                  finished after their deadline)
 *   detach                      -> detached
 *
 * and, unasked, "ejected KIND REASON[: MSG]" when the kernel ends the scheduler (a stall, an
 * error exit): it is then detached and "attach" tries again. When the controller disconnects (the
 * appliance stopped or died) the scheduler is detached and its threads return to the fair class:
 * no thread stays under rules nobody maintains. One controller at a time; it may move only
 * threads of its own user (root: any), never one under a real-time or deadline policy.
 *
 * --drill-after S is the ejection drill on a box: S seconds after the first attach, every thread of
 * the scheduler is starved, so that the kernel's watchdog ejects it and the appliance's fallback
 * shows (once per start of the service).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"

#define LINE_MAX_LEN 200

static struct {
	int fd;                 /* the controller's connection, -1 when none */
	uid_t uid;              /* its user */
	char in[4096];
	size_t used;
	int discarding;         /* the rest of a line that was too long */
	struct bpf_link *link;  /* attached when not null */
	long slice_us;
	long drill_after;       /* seconds after the first attach; 0: no drill */
	int drilled;
	struct timespec first_attach;
} ctl_conn = {.fd = -1};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* One line to the controller; a controller that cannot take it is dropped. */
static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (ctl_conn.fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (send(ctl_conn.fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		say("controller stopped reading (%s); dropping it", strerror(errno));
		close(ctl_conn.fd);
		ctl_conn.fd = -1;
	}
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void detach(const char *why)
{
	if (!ctl_conn.link)
		return;
	bpf_link__destroy(ctl_conn.link);
	ctl_conn.link = NULL;
	scx_close();
	say("scheduler detached (%s); its threads are in the fair class", why);
}

static void attach(void)
{
	struct timespec t0;
	struct iso_ctl c = {.mode = MODE_SHORTEST_QUEUE, .overlap_pct = 0, .slice_ns = (__u64)ctl_conn.slice_us * 1000,
			    .nr_cpus = (__u32)libbpf_num_possible_cpus()};
	int err;

	if (ctl_conn.link) {
		reply("attached 0.00 %s", read_line("/sys/kernel/sched_ext/root/ops"));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = scx_open(&c);
	if (err) {
		reply("error attach: cannot open the scheduler's object: %s", strerror(-err));
		return;
	}
	err = scx_load();
	if (err) {
		scx_close();
		reply("error attach: the kernel refused the scheduler: %s (the verifier's words are in isochron-scx's log)",
		      strerror(-err));
		return;
	}
	ctl_conn.link = bpf_map__attach_struct_ops(find_map("isochron_ops"));
	if (!ctl_conn.link) {
		err = errno;
		scx_close();
		reply("error attach: cannot attach the scheduler: %s%s", strerror(err),
		      err == EBUSY ? " (another sched_ext scheduler is attached)" : "");
		return;
	}
	say("scheduler attached in %.2f s (sched_ext %s)", since(&t0), read_line("/sys/kernel/sched_ext/state"));
	if (ctl_conn.first_attach.tv_sec == 0)
		clock_gettime(CLOCK_MONOTONIC, &ctl_conn.first_attach);
	reply("attached %.2f %s", since(&t0), read_line("/sys/kernel/sched_ext/root/ops"));
}

/* Whether the controller may move thread tid: its own user's (root: any), not real-time or deadline. */
static const char *refuse_thread(pid_t tid)
{
	static char why[160];
	char path[64];
	struct stat st;
	int policy;

	snprintf(path, sizeof path, "/proc/%d", tid);
	if (stat(path, &st) != 0)
		return "no such thread";
	if (ctl_conn.uid != 0 && st.st_uid != ctl_conn.uid) {
		snprintf(why, sizeof why, "belongs to uid %u, not the controller's (%u)", st.st_uid, ctl_conn.uid);
		return why;
	}
	policy = sched_getscheduler(tid);
	if (policy == SCHED_FIFO || policy == SCHED_RR || policy == 6 /* SCHED_DEADLINE */) {
		snprintf(why, sizeof why, "runs under real-time or deadline policy %d: left alone", policy);
		return why;
	}
	return NULL;
}

static void thread(const char *args)
{
	int tid, category, end = 0, more = 0;
	long long d = 0, period = 0, budget = 0;
	struct iso_thread t = {0};
	struct sched_param none = {0};
	const char *refused;

	if (sscanf(args, "%d %d%n", &tid, &category, &end) != 2 || tid <= 0 || category < 0 || category >= ISO_CATEGORIES
	    || (args[end] != '\0'
		&& (sscanf(args + end, " %lld %lld %lld%n", &d, &period, &budget, &more) != 3 || args[end + more] != '\0'))) {
		reply("error thread: '%s' is not 'TID CATEGORY [D T C]' (a thread id, a category 0-%d and, for the EDF "
		      "modes, relative deadline, period and run time per job in us)", args, ISO_CATEGORIES - 1);
		return;
	}
	if (args[end] != '\0' && !(period > 0 && period <= 10000000 && budget > 0 && budget <= period && d >= budget && d <= period)) {
		reply("error thread %d: timing %lld %lld %lld is not D T C with 0 < C <= D <= T <= 10 s (us)", tid, d, period,
		      budget);
		return;
	}
	if (!ctl_conn.link) {
		reply("error thread %d: the scheduler is not attached", tid);
		return;
	}
	refused = refuse_thread(tid);
	if (refused) {
		reply("error thread %d: %s", tid, refused);
		return;
	}
	t.category = (__u32)category;
	t.deadline_ns = (__u64)d * 1000;
	t.period_ns = (__u64)period * 1000;
	t.budget_ns = (__u64)budget * 1000;
	if (bpf_map__update_elem(scx.threads, &tid, sizeof tid, &t, sizeof t, BPF_ANY) != 0) {
		reply("error thread %d: cannot write its category: %s", tid, strerror(errno));
		return;
	}
	if (sched_getscheduler(tid) != SCHED_EXT && sched_setscheduler(tid, SCHED_EXT, &none) != 0)
		reply("error thread %d: cannot move it to SCHED_EXT: %s", tid, strerror(errno));
}

static void forget(const char *args)
{
	int tid, end = 0;

	if (sscanf(args, "%d%n", &tid, &end) != 1 || args[end] != '\0' || tid <= 0) {
		reply("error forget: '%s' is not a thread id", args);
		return;
	}
	if (ctl_conn.link)
		bpf_map__delete_elem(scx.threads, &tid, sizeof tid, 0);
}

static void mode(const char *args)
{
	int overlap = 0, end = 0;

	if (!ctl_conn.link) {
		reply("error mode: the scheduler is not attached");
		return;
	}
	if (strcmp(args, "shortest-queue") == 0) {
		scx.ctl->mode = MODE_SHORTEST_QUEUE;
		scx.ctl->overlap_pct = 0;
	} else if (strcmp(args, "edf") == 0 || strcmp(args, "edf-refinement") == 0) {
		scx.ctl->overlap_pct = 0;
		scx.ctl->mode = strcmp(args, "edf") == 0 ? MODE_EDF : MODE_EDF_REFINEMENT;
	} else if (sscanf(args, "interference-aware %d%n", &overlap, &end) == 1 && args[end] == '\0' && overlap >= 0
		   && overlap <= 100) {
		/* overlap first: the mode never runs with the previous mode's allowance */
		scx.ctl->overlap_pct = (__u32)overlap;
		scx.ctl->mode = MODE_INTERFERENCE_AWARE;
	} else {
		reply("error mode: '%s' is not 'shortest-queue', 'interference-aware O' (O a whole number 0-100), 'edf' or "
		      "'edf-refinement'", args);
		return;
	}
	reply("mode %s %u", mode_name(scx.ctl->mode), scx.ctl->overlap_pct);
}

static void stats(void)
{
	char line[2048];
	size_t n = 0;
	struct iso_stats s;

	if (!ctl_conn.link) {
		reply("error stats: the scheduler is not attached");
		return;
	}
	s = *(struct iso_stats *)scx.stats;
	n += (size_t)snprintf(line + n, sizeof line - n, "stats %llu", (unsigned long long)s.wakeups);
	for (int k = 0; k < ISO_CATEGORIES && n < sizeof line; k++)
		n += (size_t)snprintf(line + n, sizeof line - n, " %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				      (unsigned long long)s.run_ns[k], (unsigned long long)s.corun_ns[k],
				      (unsigned long long)s.corun_events[k], (unsigned long long)s.dispatches[k],
				      (unsigned long long)s.refused[k], (unsigned long long)s.unadmitted[k],
				      (unsigned long long)s.violations[k], (unsigned long long)s.jobs[k],
				      (unsigned long long)s.misses[k]);
	reply("%s", line);
}

static void command(char *line)
{
	char *args = strchr(line, ' ');

	if (args)
		*args++ = '\0';
	else
		args = line + strlen(line);
	if (strcmp(line, "attach") == 0 && *args == '\0')
		attach();
	else if (strcmp(line, "mode") == 0)
		mode(args);
	else if (strcmp(line, "thread") == 0)
		thread(args);
	else if (strcmp(line, "forget") == 0)
		forget(args);
	else if (strcmp(line, "stats") == 0 && *args == '\0')
		stats();
	else if (strcmp(line, "detach") == 0 && *args == '\0') {
		detach("the controller asked");
		reply("detached");
	} else
		reply("error unknown command '%.40s' (allowed: attach, mode, thread, forget, stats, detach)", line);
}

/* Reads what the controller sent and runs every complete line; false when it disconnected. */
static int receive(void)
{
	ssize_t got = recv(ctl_conn.fd, ctl_conn.in + ctl_conn.used, sizeof ctl_conn.in - ctl_conn.used, 0);
	char *start, *nl;

	if (got <= 0)
		return 0;
	ctl_conn.used += (size_t)got;
	start = ctl_conn.in;
	while (ctl_conn.fd >= 0 && (nl = memchr(start, '\n', ctl_conn.used - (size_t)(start - ctl_conn.in)))) {
		*nl = '\0';
		if (ctl_conn.discarding)
			ctl_conn.discarding = 0;
		else if (nl - start > LINE_MAX_LEN)
			reply("error a command is at most %d characters", LINE_MAX_LEN);
		else
			command(start);
		start = nl + 1;
	}
	if (ctl_conn.fd < 0)
		return 0;
	ctl_conn.used -= (size_t)(start - ctl_conn.in);
	memmove(ctl_conn.in, start, ctl_conn.used);
	if (ctl_conn.used == sizeof ctl_conn.in) { /* no newline in a full buffer */
		reply("error a command is at most %d characters", LINE_MAX_LEN);
		ctl_conn.used = 0;
		ctl_conn.discarding = 1;
	}
	return 1;
}

/* A group's id from /etc/group (a static program has no NSS), or -1. */
static long group_id(const char *name)
{
	char line[512];
	size_t len = strlen(name);
	long gid = -1;
	FILE *f = fopen("/etc/group", "re");

	while (f && gid < 0 && fgets(line, sizeof line, f)) {
		char *gid_field;
		if (strncmp(line, name, len) != 0 || line[len] != ':' || !(gid_field = strchr(line + len + 1, ':')))
			continue;
		gid = strtol(gid_field + 1, NULL, 10);
	}
	if (f)
		fclose(f);
	return gid;
}

static int listen_on(const char *path, const char *group)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof a.sun_path) {
		say("--socket %s is longer than %zu characters", path, sizeof a.sun_path - 1);
		return -1;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 2) != 0) {
		say("cannot listen on %s: %s", path, strerror(errno));
		return -1;
	}
	if (group) {
		long gid = group_id(group);
		if (gid < 0 || chown(path, 0, (gid_t)gid) != 0) {
			say("--group %s: %s", group, gid < 0 ? "no such group in /etc/group" : strerror(errno));
			return -1;
		}
	}
	if (chmod(path, group ? 0660 : 0600) != 0) {
		say("cannot set the mode of %s: %s", path, strerror(errno));
		return -1;
	}
	return fd;
}

int serve(int argc, char **argv)
{
	const char *path = NULL, *group = NULL;
	int lfd;

	ctl_conn.slice_us = 5000;
	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc) {
			say("option %s needs a value", argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "--socket") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--group") == 0)
			group = argv[i + 1];
		else if (strcmp(argv[i], "--slice-us") == 0)
			ctl_conn.slice_us = parse_long(argv[i], argv[i + 1], 100, 1000000);
		else if (strcmp(argv[i], "--drill-after") == 0)
			ctl_conn.drill_after = parse_long(argv[i], argv[i + 1], 1, 86400);
		else {
			say("unknown option '%s' (allowed: --socket PATH, --group NAME, --slice-us S, --drill-after S)", argv[i]);
			return 2;
		}
	}
	if (!path) {
		say("serve needs --socket PATH");
		return 2;
	}
	libbpf_set_print(print_libbpf);
	lfd = listen_on(path, group);
	if (lfd < 0)
		return 2;
	say("serving on %s (sched_ext %s)", path, read_line("/sys/kernel/sched_ext/state"));
	for (;;) {
		struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = ctl_conn.fd, .events = POLLIN}};
		int n = poll(p, ctl_conn.fd >= 0 ? 2 : 1, 100);

		if (n < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			return 2;
		}
		if (ctl_conn.link && ctl_conn.drill_after && !ctl_conn.drilled
		    && since(&ctl_conn.first_attach) >= ctl_conn.drill_after) {
			ctl_conn.drilled = 1;
			scx.ctl->drill_stall = ISO_DRILL_ALL;
			say("ejection drill: every thread of the scheduler starved from now on; the kernel's watchdog "
			    "will eject it");
		}
		if (ctl_conn.link && scx.exit->kind != 0) {
			struct iso_exit ex = *(struct iso_exit *)scx.exit;
			say("the kernel ejected the scheduler (kind %lld): %s%s%s", (long long)ex.kind, ex.reason,
			    ex.msg[0] ? ": " : "", ex.msg);
			reply("ejected %lld %s%s%s", (long long)ex.kind, ex.reason, ex.msg[0] ? ": " : "", ex.msg);
			detach("ejected");
		}
		if (n > 0 && (p[0].revents & POLLIN)) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			struct ucred cred;
			socklen_t len = sizeof cred;

			if (fd >= 0 && ctl_conn.fd >= 0) {
				static const char busy[] = "error busy: another controller is connected\n";
				send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
				close(fd);
			} else if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
				ctl_conn.fd = fd;
				ctl_conn.uid = cred.uid;
				ctl_conn.used = 0;
				ctl_conn.discarding = 0;
				say("controller connected (pid %d, uid %u)", cred.pid, cred.uid);
			} else if (fd >= 0)
				close(fd);
		}
		if (n > 0 && ctl_conn.fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !receive()) {
			if (ctl_conn.fd >= 0)
				close(ctl_conn.fd);
			ctl_conn.fd = -1;
			say("controller disconnected");
			detach("the controller is gone");
		}
	}
}
