/* Limits shared by distill trace (src/cli/cmd_trace.c) and the static sensor, so the CLI refuses
 * before the program runs what the sensor would refuse after. Header only: the sensor links no
 * library code. */
#ifndef DS_TRACE_LIMITS_H
#define DS_TRACE_LIMITS_H
/* --timeout and --grace: whole seconds, 0 .. this (about 11.5 days). */
#define DS_TRACE_MAX_SECS 1000000
#endif
