/* distill build — placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>
#include "cli/cli.h"

int cmd_build(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "distill build: not implemented yet\n");
    return DS_EXIT_ERROR;
}
