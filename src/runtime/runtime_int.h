/* Internal to src/runtime: what the native runtimes (container.c) and the Docker Engine
 * (docker.c) share. */
#ifndef DS_RUNTIME_RUNTIME_INT_H
#define DS_RUNTIME_RUNTIME_INT_H
#include <stdbool.h>
#include <stddef.h>
#include "runtime/runtime.h"

/* What the ready loop asks of a started container: 1 while it runs; 0 once it ended, with
 * *ok true when it exited with status 0 (a batch job) and `how` saying how it ended. */
typedef int (*ds_ready_state_fn)(void *h, bool *ok, char *how, size_t n);

/* ds_container_wait_ready's loop for any runtime: the ports, the ready command or the
 * settle time (see runtime.h), polling state every 100 ms; id names it in messages. */
int ds_ready_wait(void *h, ds_ready_state_fn state, const char *id, const int *ports, size_t n_ports,
                  const char *ready_cmd, double timeout_s, ds_err *err);

double ds_rt_now(void);

/* Run argv with output to log (or /dev/null); the exit status, or -1. */
int ds_rt_run_quiet(char *const argv[], const char *log);

/* The Docker Engine runtime (docker.c); *out's ctx holds the engine connection until
 * ds_runtime_close. */
int ds_runtime_docker(ds_runtime *out, ds_err *err);
/* Does the engine named by DOCKER_HOST answer? 0 with a description ("engine 20.10.24 at SOCK"). */
int ds_docker_probe(char **what, ds_err *err);

#endif
