/* Channel and serial ports, shared by the agent and the load generator. */
#ifndef ISOCHRON_PORT_H
#define ISOCHRON_PORT_H

#include <stddef.h>
#include <stdint.h>

uint64_t iso_now_ns(void); /* CLOCK_MONOTONIC */

/* Opens a port for non-blocking writes; a tty is set raw (115200, no flow control) so nothing
 * translates the binary frames. Returns the fd, or -1 with errno. *raw_failed tells whether a tty
 * refused the raw settings (the port is still usable). */
int iso_port_open(const char *path, int *raw_failed);

/* Writes buf until done or until deadline_ns (CLOCK_MONOTONIC): a full port is waited for with
 * poll, not spun on. Returns 0 when all was written, 1 at the deadline, -1 with errno on an error. */
int iso_port_write(int fd, const uint8_t *buf, size_t len, uint64_t deadline_ns);

#endif
