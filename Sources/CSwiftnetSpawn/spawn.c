#define _GNU_SOURCE
#include "swiftnet_spawn.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int swiftnet_pipe_cloexec(int fds[2])
{
    return pipe2(fds, O_CLOEXEC);
}

int swiftnet_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int from)
{
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int swiftnet_pidfd_open(pid_t pid)
{
    return (int) syscall(SYS_pidfd_open, pid, 0);
}
