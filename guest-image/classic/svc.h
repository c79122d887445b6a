/* svc: the workload service.  W worker threads each serve R requests
 * against the file system; each request's result is folded into its
 * worker's digest in request order, and the worker digests are folded in
 * worker order, so the final digest depends on neither thread interleaving
 * nor timer rate nor CPU speed.  README.md defines it exactly; refmodel.c
 * recomputes it on the host. */
#ifndef CLASSIC_SVC_H
#define CLASSIC_SVC_H
#include "types.h"

#define SVC_MAX_WORKERS 32
#define SVC_NDATA       16      /* /data/f00 .. /data/f15, made by mkfs */
#define SVC_NLOGS       4       /* /shared/log0 .. log3, made by mkfs */

struct classic_config;

int svc_run(const struct classic_config *cfg);
void svc_worker(void *arg);
uint64_t svc_request(uint32_t w, uint32_t r);
uint64_t svc_mix64(uint64_t x);
uint32_t svc_checksum(const uint8_t *p, uint32_t n);
uint32_t svc_hash_rounds(uint32_t h, const uint8_t *p, uint32_t n, uint32_t rounds);

extern uint64_t svc_digest;
extern uint64_t svc_worker_digest[SVC_MAX_WORKERS];
extern uint32_t svc_requests_done;
extern uint32_t svc_workers, svc_requests;
extern uint32_t svc_start_tick, svc_end_tick;

#endif
