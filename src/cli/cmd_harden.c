/* distill harden — placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>
#include "cli/cli.h"

int cmd_harden(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "distill harden: not implemented yet\n");
    return DS_EXIT_ERROR;
}
