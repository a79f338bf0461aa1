/* A static probe the isolation tests run inside containers: one syscall, its outcome printed.
 *   syscall_probe keyctl       add a key to the process keyring (Docker's profile blocks it)
 *   syscall_probe ptrace PID   attach to PID (a host process is not even visible)
 * Prints "<name>: ok" and exits 0, or "<name>: <strerror>" and exits 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEY_SPEC_PROCESS_KEYRING -2

int main(int argc, char **argv) {
    long result;
    if (argc >= 2 && strcmp(argv[1], "keyctl") == 0) {
        result = syscall(SYS_add_key, "user", "tuibox-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
    } else if (argc >= 3 && strcmp(argv[1], "ptrace") == 0) {
        result = ptrace(PTRACE_ATTACH, (pid_t)atoi(argv[2]), NULL, NULL);
    } else {
        fprintf(stderr, "usage: %s keyctl | ptrace PID\n", argv[0]);
        return 2;
    }
    if (result < 0) {
        printf("%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    printf("%s: ok\n", argv[1]);
    return 0;
}
