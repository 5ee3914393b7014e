/*
 * pool.h — the instance pool (internal to the runtime): a bounded set of guest
 * instances, each with its host-side execution record. An instance is in exactly one
 * of three places: idle (reset to the snapshot, ready), active (owned by the thread
 * running an execution on it) or parked (held by a suspended execution until resumed or
 * until its TTL passes). Every instance that returns to idle has been reset; one whose
 * reset fails is destroyed and replaced on demand, never reused dirty. Thread-safe.
 */
#ifndef NXR_POOL_H
#define NXR_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "host.h"
#include "metrics.h"
#include "nexus.h"
#include "sandbox.h"

/* Length of a suspension id: 32 hex digits. */
#define NXP_ID_LEN 32

/* One pooled instance. The owner of an active slot may use every field; the pool
 * touches only `next`, `id` and `expires_ns` (under its lock). */
/* Where a slot is. */
enum { NXP_IDLE, NXP_ACTIVE, NXP_PARKED };

typedef struct nxp_slot {
    nxs_sandbox *sb;
    nxh_exec exec;               /* host state of the current execution (user pointer) */
    /* bookkeeping of an execution, carried across suspensions */
    uint64_t run_ns;             /* time spent running in the sandbox so far */
    uint32_t timeout_ms;         /* the execution's timeout (0: none) */
    uint64_t compile_us;         /* compilation time of this execution (0: cached) */
    bool cache_hit;
    uint64_t instructions;       /* executed instructions (engine fuel) so far */
    /* pool-owned */
    int where;                   /* NXP_IDLE, NXP_ACTIVE or NXP_PARKED */
    char id[NXP_ID_LEN + 1];     /* suspension id while parked */
    uint64_t expires_ns;         /* parked until (monotonic) */
    uint64_t memory_bytes;       /* linear memory size, as of the last release */
    struct nxp_slot *next;       /* in the idle or parked list */
} nxp_slot;

typedef struct nxp_pool nxp_pool;

/* Creates a pool and its cfg->min_instances instances. NULL with a message on failure. */
nxp_pool *nxp_new(const nx_config *cfg, const nxs_template *t, char *err, size_t err_size);
/* Frees the pool and every instance (idle, parked, and active ones: the caller must
 * have stopped using them, see nxp_close). NULL allowed. */
void nxp_free(nxp_pool *p);

/* Takes an idle instance, or creates one under max_instances, or waits up to
 * queue_timeout_ms for one. NULL when none came (*code: NX_ERR_RESOURCE_LIMIT, "instance
 * pool exhausted ...") or the pool is closing or creation failed (message in msg). */
nxp_slot *nxp_acquire(nxp_pool *p, nx_error *code, nx_refusal *refusal, char *msg,
                      size_t msg_size);

/* Gives an instance back: ends its execution record, resets it (destroying it when the
 * reset fails) and makes it idle. */
void nxp_release(nxp_pool *p, nxp_slot *s);

/* Parks an active instance whose execution is suspended, for suspension_ttl_ms; writes
 * the new suspension id into s->id. */
void nxp_park(nxp_pool *p, nxp_slot *s);

/* Takes back a parked instance by id (it becomes active); NULL when the id is unknown
 * or expired. */
nxp_slot *nxp_unpark(nxp_pool *p, const char *id);

/* Fills the pool's gauges and counters. Reclaims expired suspensions first. */
void nxp_gauges(nxp_pool *p, nxm_pool_gauges *g);

/* Stops handing out instances; waits up to grace_ms for active ones to come back,
 * interrupts those still running and waits for them; drops parked ones. */
void nxp_close(nxp_pool *p, uint32_t grace_ms);

#endif /* NXR_POOL_H */
