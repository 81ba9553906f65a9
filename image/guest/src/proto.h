/* Paravirtual channel frame format v1 (docs/protocol.md): the encoder shared by the agent and the
 * load generator's garbage mode. Little-endian, CRC-32C over header and payload. */
#ifndef ISOCHRON_PROTO_H
#define ISOCHRON_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define ISO_VERSION 1
#define ISO_HEADER_SIZE 24
#define ISO_CRC_SIZE 4
#define ISO_TASK_SIZE 36
#define ISO_MAX_TASKS 1024
#define ISO_MAX_SAMPLES 4096
#define ISO_MAX_PAYLOAD 65535
#define ISO_FLAG_CYCLE 0x01
#define ISO_MIN_CYCLE_US 100u
#define ISO_MAX_CYCLE_US 10000000u
/* Largest frame the agent can build: header, full task and cycle blocks, CRC. */
#define ISO_MAX_FRAME (ISO_HEADER_SIZE + 2 + ISO_MAX_TASKS * ISO_TASK_SIZE + 10 + 2 * ISO_MAX_SAMPLES + ISO_CRC_SIZE)

enum iso_state { ISO_RUNNING = 0, ISO_RUNNABLE = 1, ISO_BLOCKED_IO = 2, ISO_SLEEPING = 3 };

/* Component order of the I/O deltas and hint codes; ISO_NONE only exists as a hint. */
enum iso_category { ISO_GPU = 0, ISO_RAM, ISO_CACHE, ISO_ETHERNET, ISO_BUS, ISO_STORAGE, ISO_NONE };
#define ISO_COMPONENTS 6
#define ISO_NO_HINT 255

struct iso_task {
    uint32_t pid;
    uint8_t state;
    uint8_t hint;         /* enum iso_category or ISO_NO_HINT */
    uint8_t hint_percent; /* 0..100, 0 without a hint */
    uint8_t vcpu;         /* the guest CPU the task last ran on (/proc/<pid>/stat field 39) */
    uint32_t cpu_us;
    uint32_t io[ISO_COMPONENTS];
};

struct iso_cycle {
    uint32_t cycle_us;
    uint32_t overruns;
    uint16_t count;
    const uint16_t *latency_us;
};

struct iso_header {
    uint32_t vm;
    uint32_t seq;
    uint64_t timestamp_ns;
};

uint32_t iso_crc32c(uint32_t crc, const void *data, size_t len);

/* Encodes one frame into buf. cycle may be NULL (no cycle block). Returns the frame length, or 0
 * when the counts are out of range or cap is too small. */
size_t iso_encode(uint8_t *buf, size_t cap, const struct iso_header *h, const struct iso_task *tasks,
                  size_t ntasks, const struct iso_cycle *cycle);

/* Category names as used in hint files and on command lines; -1 when unknown. */
int iso_category_from_name(const char *name);
const char *iso_category_name(int cat);

void iso_put16(uint8_t *p, uint16_t v);
void iso_put32(uint8_t *p, uint32_t v);
void iso_put64(uint8_t *p, uint64_t v);

#endif
