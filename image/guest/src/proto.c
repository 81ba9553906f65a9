#include "proto.h"

#include <string.h>

static const char *const CATEGORY_NAMES[] = {"GPU", "RAM", "CACHE", "ETHERNET", "BUS", "STORAGE", "NONE"};

/* Table for the reflected Castagnoli polynomial 0x82F63B78, built once on first use. */
static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
    crc_ready = 1;
}

/* crc is the running value of a previous call (0 to start): init and final xor are applied here so
 * calls can be chained over pieces of a buffer. */
uint32_t iso_crc32c(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

void iso_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void iso_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void iso_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

size_t iso_encode(uint8_t *buf, size_t cap, const struct iso_header *h, const struct iso_task *tasks,
                  size_t ntasks, const struct iso_cycle *cycle)
{
    if (ntasks > ISO_MAX_TASKS)
        return 0;
    if (cycle && (cycle->count > ISO_MAX_SAMPLES || cycle->cycle_us < ISO_MIN_CYCLE_US ||
                  cycle->cycle_us > ISO_MAX_CYCLE_US))
        return 0;
    size_t payload = 2 + ntasks * ISO_TASK_SIZE + (cycle ? 10 + 2 * (size_t)cycle->count : 0);
    size_t total = ISO_HEADER_SIZE + payload + ISO_CRC_SIZE;
    if (payload > ISO_MAX_PAYLOAD || total > cap)
        return 0;

    memcpy(buf, "ISOC", 4);
    buf[4] = ISO_VERSION;
    buf[5] = cycle ? ISO_FLAG_CYCLE : 0;
    iso_put16(buf + 6, (uint16_t)payload);
    iso_put32(buf + 8, h->vm);
    iso_put32(buf + 12, h->seq);
    iso_put64(buf + 16, h->timestamp_ns);

    uint8_t *p = buf + ISO_HEADER_SIZE;
    iso_put16(p, (uint16_t)ntasks);
    p += 2;
    for (size_t i = 0; i < ntasks; i++) {
        const struct iso_task *t = &tasks[i];
        iso_put32(p, t->pid);
        p[4] = t->state;
        p[5] = t->hint;
        p[6] = t->hint == ISO_NO_HINT ? 0 : t->hint_percent;
        p[7] = t->vcpu;
        iso_put32(p + 8, t->cpu_us);
        for (int k = 0; k < ISO_COMPONENTS; k++)
            iso_put32(p + 12 + 4 * k, t->io[k]);
        p += ISO_TASK_SIZE;
    }
    if (cycle) {
        iso_put32(p, cycle->cycle_us);
        iso_put32(p + 4, cycle->overruns);
        iso_put16(p + 8, cycle->count);
        p += 10;
        for (uint16_t i = 0; i < cycle->count; i++, p += 2)
            iso_put16(p, cycle->latency_us[i]);
    }
    iso_put32(p, iso_crc32c(0, buf, (size_t)(p - buf)));
    return total;
}

int iso_category_from_name(const char *name)
{
    for (int i = 0; i <= ISO_NONE; i++)
        if (strcmp(name, CATEGORY_NAMES[i]) == 0)
            return i;
    return -1;
}

const char *iso_category_name(int cat)
{
    return cat >= 0 && cat <= ISO_NONE ? CATEGORY_NAMES[cat] : "?";
}
