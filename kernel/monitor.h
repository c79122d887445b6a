/* The host monitor: a small shell on the serial console.  Other subsystems
 * add commands with monitor_register. */
#pragma once

typedef void (*monitor_fn_t)(int argc, char **argv);

void monitor_register(const char *name, const char *help, monitor_fn_t fn);
/* A decimal argument: argv[i] if the command has it and it is a number, else dflt. */
unsigned monitor_uint(int argc, char **argv, int i, unsigned dflt);
void monitor_run_line(char *line);
void monitor_main(void) __attribute__((noreturn));
