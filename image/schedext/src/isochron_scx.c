/*
 * isochron-scx: loads Isochron's sched_ext scheduler (isochron_scx.bpf.c) and attaches it
 * (docs/schedext.md):
 *
 *   isochron-scx selftest ...   the scheduler measured on this kernel (selftest.c)
 *   isochron-scx serve ...      its privileged service for the appliance (serve.c)
 *
 * This file: what both share (opening, loading and closing the embedded object) and main.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/types.h>

#include "isochron_scx.h"
#include "loader.h"



const char *prog = "isochron-scx";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s selftest [--seconds N] [--runs O|shortest-queue|edf[/SET]|edf-refinement[/SET]|default|affinity|stall,...]\n"
		"                    [--threads T] [--categories C] [--slice-us S] [--period-us P --busy-us B]\n"
		"       %s serve --socket PATH [--group NAME] [--slice-us S] [--drill-after S]\n",
		prog, prog);
}

const char *mode_name(__u32 mode)
{
	switch (mode) {
	case MODE_SHORTEST_QUEUE:
		return "shortest-queue";
	case MODE_INTERFERENCE_AWARE:
		return "interference-aware";
	case MODE_EDF:
		return "edf";
	case MODE_EDF_REFINEMENT:
		return "edf-refinement";
	default:
		return "?";
	}
}

long parse_long(const char *opt, const char *v, long lo, long hi)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
		fprintf(stderr, "%s: %s = '%s' is not a whole number from %ld to %ld\n", prog, opt, v, lo, hi);
		exit(2);
	}
	return n;
}

int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings (the verifier's log among them) are what explains a failed load. */
	if (level == LIBBPF_DEBUG)
		return 0;
	fprintf(stderr, "%s: libbpf: ", prog);
	return vfprintf(stderr, fmt, ap);
}

/* The scheduler's object, linked into this program as data (ld -b binary in build.sh). */
extern const char _binary_isochron_scx_bpf_start[], _binary_isochron_scx_bpf_end[];

struct scx scx;

struct bpf_map *find_map(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(scx.obj, name);

	if (!m) {
		fprintf(stderr, "%s: the scheduler's object has no map %s\n", prog, name);
		exit(2);
	}
	return m;
}

/* A global data section's initial value, set before loading. */
static volatile void *section(const char *name, size_t size)
{
	size_t actual = 0;
	volatile void *p = bpf_map__initial_value(find_map(name), &actual);

	if (!p || actual != size) {
		fprintf(stderr, "%s: section %s of the scheduler is %zu bytes, not %zu\n", prog, name, actual, size);
		exit(2);
	}
	return p;
}

int scx_open(const struct iso_ctl *ctl)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "isochron");

	scx.obj = bpf_object__open_mem(_binary_isochron_scx_bpf_start,
				       (size_t)(_binary_isochron_scx_bpf_end - _binary_isochron_scx_bpf_start),
				       &opts);
	if (!scx.obj)
		return -errno;
	*(volatile struct iso_ctl *)section(".data.ctl", sizeof *ctl) = *ctl;
	return 0;
}

/* A loaded global data section, mapped from the kernel (libbpf 1.4 maps it only for skeletons). */
volatile void *mapped(const char *name, size_t size)
{
	struct bpf_map *m = find_map(name);
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
	void *p;

	if (bpf_map__value_size(m) != size) {
		fprintf(stderr, "%s: section %s of the scheduler is %u bytes, not %zu\n", prog, name, bpf_map__value_size(m), size);
		exit(2);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: cannot map section %s of the scheduler: %s\n", prog, name, strerror(errno));
		exit(2);
	}
	return p;
}

/* Loads it (verifier, JIT) and maps the shared sections. */
int scx_load(void)
{
	int err = bpf_object__load(scx.obj);

	if (err)
		return err;
	scx.threads = find_map("threads");
	scx.ctl = mapped(".data.ctl", sizeof *scx.ctl);
	scx.stats = mapped(".data.stats", sizeof *scx.stats);
	scx.exit = mapped(".data.exit", sizeof *scx.exit);
	scx.observed = mapped(".data.observed", sizeof *scx.observed);
	return 0;
}

void scx_close(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t sizes[] = {sizeof *scx.ctl, sizeof *scx.stats, sizeof *scx.exit, sizeof *scx.observed};
	volatile void *maps[] = {scx.ctl, scx.stats, scx.exit, scx.observed};

	for (int i = 0; i < 4; i++)
		if (maps[i])
			munmap((void *)maps[i], (sizes[i] + (size_t)page - 1) / (size_t)page * (size_t)page);
	bpf_object__close(scx.obj);
	memset(&scx, 0, sizeof scx);
}

/* The first line of a file, for reports ("?" if unreadable). */
const char *read_line(const char *path)
{
	static char buf[4][128];
	static int next;
	char *b = buf[next++ % 4];
	FILE *f = fopen(path, "re");

	if (!f || !fgets(b, sizeof buf[0], f))
		strcpy(b, "?");
	if (f)
		fclose(f);
	b[strcspn(b, "\n")] = '\0';
	return b;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "selftest") == 0)
		return selftest(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return serve(argc - 2, argv + 2);
	usage();
	return 2;
}
