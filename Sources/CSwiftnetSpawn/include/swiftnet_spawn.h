#ifndef SWIFTNET_SPAWN_H
#define SWIFTNET_SPAWN_H

#include <spawn.h>

/* The two GNU calls ChildProcess needs. Swift's Glibc module is built without _GNU_SOURCE, so
 * it does not declare them; this file is compiled with it. Both return what the wrapped call
 * returns (pipe2: 0 or -1 with errno; the file action: 0 or an error number). */

/* pipe2(fds, O_CLOEXEC). */
int swiftnet_pipe_cloexec(int fds[2]);

/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34+): the child closes every descriptor
 * from `from` on, whether or not it was opened with O_CLOEXEC. */
int swiftnet_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int from);

#endif
