#define _GNU_SOURCE
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

uint64_t iso_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int iso_port_open(const char *path, int *raw_failed)
{
    *raw_failed = 0;
    int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_APPEND | O_CLOEXEC);
    if (fd < 0 || !isatty(fd))
        return fd;
    struct termios tio;
    if (tcgetattr(fd, &tio) == 0) {
        cfmakeraw(&tio);
        tio.c_cflag |= CLOCAL;
        cfsetspeed(&tio, B115200);
        if (tcsetattr(fd, TCSANOW, &tio) == 0)
            return fd;
    }
    *raw_failed = 1;
    return fd;
}

int iso_port_write(int fd, const uint8_t *buf, size_t len, uint64_t deadline_ns)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno != EAGAIN) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        uint64_t t = iso_now_ns();
        if (t >= deadline_ns)
            return 1;
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        poll(&pfd, 1, (int)((deadline_ns - t) / 1000000u) + 1);
    }
    return 0;
}
