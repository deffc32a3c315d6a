/* distill-sensor — placeholder until issue 4 lands. */
#include <stdio.h>
int main(void) { fputs("distill-sensor: not implemented yet\n", stderr); return 3; }
