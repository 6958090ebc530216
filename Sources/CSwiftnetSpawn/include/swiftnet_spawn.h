#ifndef SWIFTNET_SPAWN_H
#define SWIFTNET_SPAWN_H

#include <spawn.h>

/* The calls ChildProcess needs that Swift's Glibc module does not declare: two GNU ones (the
 * module is built without _GNU_SOURCE; this file is compiled with it) and a system call with
 * no glibc wrapper here. Each returns what the wrapped call returns (pipe2 and pidfd_open: a
 * result or -1 with errno; the file action: 0 or an error number). */

/* pipe2(fds, O_CLOEXEC). */
int swiftnet_pipe_cloexec(int fds[2]);

/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34+): the child closes every descriptor
 * from `from` on, whether or not it was opened with O_CLOEXEC. */
int swiftnet_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int from);

/* pidfd_open(pid, 0) (Linux 5.3+): a close-on-exec descriptor that polls readable once the
 * process has exited, so its exit can be waited for with a timeout. */
int swiftnet_pidfd_open(pid_t pid);

#endif
