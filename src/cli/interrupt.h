/* SIGINT, SIGTERM, SIGHUP for every command: remove the temporary work registered in
 * util/cleanup.h, stop registered children, then die of the signal (exit status 128+N). */
#ifndef DS_CLI_INTERRUPT_H
#define DS_CLI_INTERRUPT_H

/* Install the handlers (a signal inherited as ignored, e.g. under nohup, stays ignored). */
void cli_interrupt_install(void);
/* After the command returned: when an interrupt was deferred to the command's orderly
 * stop (a running container), finish the cleanup and die of that signal; else return. */
void cli_interrupt_finish(void);

#endif
