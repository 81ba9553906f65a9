/* The loader's pieces that its commands share (isochron_scx.c): the loaded scheduler and how it is
 * opened, loaded and closed. */
#ifndef ISOCHRON_LOADER_H
#define ISOCHRON_LOADER_H

#include <stdarg.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "isochron_scx.h"

#ifndef SCHED_EXT
#define SCHED_EXT 7
#endif

extern const char *prog;

/* The loaded scheduler: its object, the thread map and its shared sections, mapped. */
struct scx {
	struct bpf_object *obj;
	struct bpf_map *threads;
	volatile struct iso_ctl *ctl;
	volatile struct iso_stats *stats;
	volatile struct iso_exit *exit;
	volatile struct iso_observed *observed;
};
extern struct scx scx;

/* Opens the embedded object with the control block's initial value; 0 or a negative errno. */
int scx_open(const struct iso_ctl *ctl);
/* Loads it (verifier, JIT) and maps the shared sections; 0 or a negative errno. */
int scx_load(void);
/* Unmaps the shared sections and closes the object (after its link is gone). */
void scx_close(void);
struct bpf_map *find_map(const char *name);

int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);
long parse_long(const char *opt, const char *v, long lo, long hi);
/* The first line of a file ("?" if unreadable); four results stay valid at a time. */
const char *read_line(const char *path);
/* A loaded global data section, mapped from the kernel. */
volatile void *mapped(const char *name, size_t size);
/* The name of a mode of the control block, as the commands spell it. */
const char *mode_name(__u32 mode);
int selftest(int argc, char **argv);
int serve(int argc, char **argv);

#endif
