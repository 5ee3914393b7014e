/*
 * pool.c — the instance pool (pool.h). One mutex guards the lists and counters; a
 * condition variable wakes threads waiting for an instance and the closing thread
 * waiting for active ones. Expensive work (creating an instance, resetting one) runs
 * outside the lock: a slot being created or reset is counted in `pending`, so the
 * bound max_instances always holds: idle + active + parked + pending <= max_instances.
 */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct nxp_pool {
    const nx_config *cfg;
    const nxs_template *tmpl;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* an instance became idle, or one left the active set */
    nxp_slot **slots;       /* every live slot, max_instances entries (NULL: free) */
    nxp_slot *idle;         /* stack of idle slots */
    nxp_slot *parked;       /* list of parked slots */
    uint32_t nidle, nactive, nparked, pending;
    bool closing;
    uint64_t created, reused, destroyed, exhausted, expired;
};

static uint64_t now_ns(void) { return nxw_now_ns(); }

/* ---------------------------------------------------------------- slots */

static nxp_slot *slot_new(nxp_pool *p, char *err, size_t err_size)
{
    nxp_slot *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    s->sb = nxs_sandbox_new(p->tmpl, &s->exec, err, err_size);
    if (!s->sb) {
        free(s);
        return NULL;
    }
    s->memory_bytes = nxw_memory_size(s->sb->memory);
    return s;
}

static void slot_free(nxp_slot *s)
{
    if (!s) return;
    nxh_end(&s->exec);
    nxs_sandbox_free(s->sb);
    free(s);
}

/* Registers a slot in the first free position (lock held; a position exists because
 * of the bound). */
static void slot_register(nxp_pool *p, nxp_slot *s)
{
    for (uint32_t i = 0; i < p->cfg->max_instances; i++)
        if (!p->slots[i]) {
            p->slots[i] = s;
            return;
        }
}

static void slot_unregister(nxp_pool *p, nxp_slot *s)
{
    for (uint32_t i = 0; i < p->cfg->max_instances; i++)
        if (p->slots[i] == s) p->slots[i] = NULL;
}

/* Ends the slot's execution and resets it (no lock). False when the reset failed. */
static bool slot_clean(nxp_pool *p, nxp_slot *s)
{
    nxh_end(&s->exec);
    s->run_ns = s->compile_us = s->instructions = 0;
    s->timeout_ms = 0;
    s->cache_hit = false;
    bool ok = nxs_reset(s->sb, p->tmpl);
    s->memory_bytes = nxw_memory_size(s->sb->memory);
    return ok;
}

/* Puts a clean slot on the idle stack (lock held). */
static void push_idle(nxp_pool *p, nxp_slot *s)
{
    s->where = NXP_IDLE;
    s->next = p->idle;
    p->idle = s;
    p->nidle++;
    pthread_cond_broadcast(&p->changed);
}

/* ---------------------------------------------------------------- pool */

nxp_pool *nxp_new(const nx_config *cfg, const nxs_template *t, char *err, size_t err_size)
{
    nxp_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->slots = calloc(cfg->max_instances, sizeof *p->slots))) {
        free(p);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->tmpl = t;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->changed, &attr);
    pthread_condattr_destroy(&attr);
    for (uint32_t i = 0; i < cfg->min_instances; i++) {
        nxp_slot *s = slot_new(p, err, err_size);
        if (!s) {
            nxp_free(p);
            return NULL;
        }
        p->created++;
        slot_register(p, s);
        push_idle(p, s);
    }
    return p;
}

void nxp_free(nxp_pool *p)
{
    if (!p) return;
    for (uint32_t i = 0; i < p->cfg->max_instances; i++) slot_free(p->slots[i]);
    free(p->slots);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Moves expired parked slots out of the parked list into `out` (lock held). */
static nxp_slot *take_expired(nxp_pool *p)
{
    uint64_t now = now_ns();
    nxp_slot *out = NULL, **link = &p->parked;
    while (*link) {
        nxp_slot *s = *link;
        if (s->expires_ns <= now) {
            *link = s->next;
            p->nparked--;
            p->pending++;
            p->expired++;
            s->id[0] = '\0';
            s->next = out;
            out = s;
        } else {
            link = &s->next;
        }
    }
    return out;
}

/* Cleans slots taken by take_expired and makes them idle (or destroys them). */
static void recycle(nxp_pool *p, nxp_slot *list)
{
    while (list) {
        nxp_slot *s = list;
        list = s->next;
        bool ok = slot_clean(p, s);
        pthread_mutex_lock(&p->lock);
        p->pending--;
        if (ok) {
            push_idle(p, s);
        } else {
            slot_unregister(p, s);
            p->destroyed++;
            pthread_cond_broadcast(&p->changed);
        }
        pthread_mutex_unlock(&p->lock);
        if (!ok) slot_free(s);
    }
}

static void reap_expired(nxp_pool *p)
{
    pthread_mutex_lock(&p->lock);
    nxp_slot *expired = take_expired(p);
    pthread_mutex_unlock(&p->lock);
    recycle(p, expired);
}

static uint32_t live(const nxp_pool *p) { return p->nidle + p->nactive + p->nparked + p->pending; }

nxp_slot *nxp_acquire(nxp_pool *p, nx_error *code, nx_refusal *refusal, char *msg,
                      size_t msg_size)
{
    *refusal = NX_REFUSAL_NONE;
    reap_expired(p);
    struct timespec until;
    uint64_t deadline = now_ns() + (uint64_t)p->cfg->queue_timeout_ms * 1000000u;
    until.tv_sec = (time_t)(deadline / 1000000000u);
    until.tv_nsec = (long)(deadline % 1000000000u);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (p->closing) {
            pthread_mutex_unlock(&p->lock);
            *code = NX_ERR_RESOURCE_LIMIT;
            *refusal = NX_REFUSAL_SHUTTING_DOWN;
            snprintf(msg, msg_size, "the runtime is shutting down");
            return NULL;
        }
        if (p->idle) {
            nxp_slot *s = p->idle;
            p->idle = s->next;
            p->nidle--;
            p->nactive++;
            p->reused++;
            s->where = NXP_ACTIVE;
            s->next = NULL;
            pthread_mutex_unlock(&p->lock);
            return s;
        }
        if (live(p) < p->cfg->max_instances) break;
        if (pthread_cond_timedwait(&p->changed, &p->lock, &until) == ETIMEDOUT && !p->idle &&
            live(p) >= p->cfg->max_instances) {
            p->exhausted++;
            pthread_mutex_unlock(&p->lock);
            *code = NX_ERR_RESOURCE_LIMIT;
            *refusal = NX_REFUSAL_POOL_EXHAUSTED;
            snprintf(msg, msg_size,
                     "instance pool exhausted: all %u instances stayed busy for %u ms "
                     "(MAX_INSTANCES, QUEUE_TIMEOUT_MS)",
                     p->cfg->max_instances, p->cfg->queue_timeout_ms);
            return NULL;
        }
    }
    /* room for one more: create it outside the lock */
    p->pending++;
    pthread_mutex_unlock(&p->lock);
    char err[256];
    nxp_slot *s = slot_new(p, err, sizeof err);
    pthread_mutex_lock(&p->lock);
    p->pending--;
    if (s) {
        p->created++;
        p->nactive++;
        s->where = NXP_ACTIVE;
        slot_register(p, s);
    } else {
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    if (!s) {
        *code = NX_ERR_INTERNAL;
        snprintf(msg, msg_size, "%s", err);
    }
    return s;
}

void nxp_release(nxp_pool *p, nxp_slot *s)
{
    bool ok = slot_clean(p, s);
    pthread_mutex_lock(&p->lock);
    p->nactive--;
    if (ok && !p->closing) {
        push_idle(p, s);
        s = NULL;
    } else {
        slot_unregister(p, s);
        if (!ok) p->destroyed++;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    slot_free(s); /* NULL when kept */
}

static void new_id(char out[NXP_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t r[NXP_ID_LEN / 2];
    arc4random_buf(r, sizeof r);
    for (size_t i = 0; i < sizeof r; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[NXP_ID_LEN] = '\0';
}

void nxp_park(nxp_pool *p, nxp_slot *s)
{
    new_id(s->id);
    pthread_mutex_lock(&p->lock);
    s->expires_ns = now_ns() + (uint64_t)p->cfg->suspension_ttl_ms * 1000000u;
    s->where = NXP_PARKED;
    s->next = p->parked;
    p->parked = s;
    p->nactive--;
    p->nparked++;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

nxp_slot *nxp_unpark(nxp_pool *p, const char *id)
{
    reap_expired(p);
    if (!id || strlen(id) != NXP_ID_LEN) return NULL;
    pthread_mutex_lock(&p->lock);
    nxp_slot *found = NULL;
    for (nxp_slot **link = &p->parked; *link; link = &(*link)->next) {
        if (strcmp((*link)->id, id) == 0) {
            found = *link;
            *link = found->next;
            found->next = NULL;
            found->id[0] = '\0';
            found->where = NXP_ACTIVE;
            p->nparked--;
            p->nactive++;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

void nxp_gauges(nxp_pool *p, nxm_pool_gauges *g)
{
    reap_expired(p);
    pthread_mutex_lock(&p->lock);
    *g = (nxm_pool_gauges){
        .active = p->nactive,
        .available = p->nidle,
        .suspended = p->nparked,
        .max_instances = p->cfg->max_instances,
        .created = p->created,
        .reused = p->reused,
        .destroyed = p->destroyed,
        .exhausted = p->exhausted,
        .expired_suspensions = p->expired,
    };
    for (uint32_t i = 0; i < p->cfg->max_instances; i++)
        if (p->slots[i]) g->total_memory_bytes += p->slots[i]->memory_bytes;
    pthread_mutex_unlock(&p->lock);
}

void nxp_close(nxp_pool *p, uint32_t grace_ms)
{
    uint64_t deadline = now_ns() + (uint64_t)grace_ms * 1000000u;
    struct timespec until = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->changed);
    while ((p->nactive || p->pending) &&
           pthread_cond_timedwait(&p->changed, &p->lock, &until) != ETIMEDOUT) {
    }
    /* interrupt what still runs (nxw_store_interrupt may be called from any thread) */
    for (uint32_t i = 0; i < p->cfg->max_instances; i++)
        if (p->slots[i] && p->slots[i]->where == NXP_ACTIVE)
            nxw_store_interrupt(p->slots[i]->sb->store);
    while (p->nactive || p->pending) pthread_cond_wait(&p->changed, &p->lock);
    nxp_slot *parked = p->parked;
    p->parked = NULL;
    p->nparked = 0;
    pthread_mutex_unlock(&p->lock);
    /* parked executions are dropped; their slots stay registered until nxp_free */
    for (nxp_slot *s = parked; s; s = s->next) s->where = NXP_IDLE;
}
