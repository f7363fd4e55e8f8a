/* Small file helpers every layer uses: read a whole fd, make a host
   directory path safely. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Everything fd gives until EOF, at most max bytes, NUL-terminated (*len
   not counting it); NULL when out of memory. */
char *read_all(int fd, size_t max, size_t *len);

/* mkdir -p of a host path; the directories it makes get mode. Every
   directory on the way must be one no other user can rename or refill
   (owned by the user or root, not writable by others unless sticky, like
   /tmp), and a symbolic link on the way is followed only when the user or
   root owns it; else -EPERM (errno set too). */
int mkdir_p(const char *path, mode_t mode);

/* One fd over a unix socket (SCM_RIGHTS) with one byte of data. fd_send:
   0 or a negative errno. fd_recv: the fd received (close-on-exec), or -1;
   flags as recvmsg's (MSG_DONTWAIT). */
int fd_send(int sock, int fd);
int fd_recv(int sock, int flags);

/* A new, empty file beside path for writing it whole and then renaming it
   over path: made here (O_EXCL, so never through a symbolic link, fifo or
   file someone left under that name), with mode as open(2) would give it
   under the umask. Its fd (close-on-exec) and its name in *tmp (the
   caller frees it, and unlinks it when it does not rename it); or a
   negative errno, *tmp NULL. */
int file_create_beside(const char *path, mode_t mode, char **tmp);

/* Where the entry at path itself lies, without symbolic links: its
   parent's real path (as realpath(3) gives it; the parent as given when
   it cannot be resolved) and its own name, a link or not. NULL when
   memory runs out. */
char *path_real_entry(const char *path);
