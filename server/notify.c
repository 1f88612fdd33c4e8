/*
 * notify.c - the sd_notify protocol (see notify.h): one datagram to the
 * unix socket named by $NOTIFY_SOCKET. A fresh socket per call: the server
 * sends a handful in its life, and nothing stays open to leak into anything.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* Fill *sa from the variable's value; *len is the address length to pass.
 * Returns 0, or -1 when the name is empty, too long or not a path. */
static int
notify_address(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n < 2 || n >= sizeof(sa->sun_path))
		return -1;
	if (name[0] != '/' && name[0] != '@')
		return -1;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@') {
		/* Abstract names are counted bytes, no terminating NUL. */
		sa->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int
notify_send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	ssize_t sent;
	int fd, saved;

	if (!name || !*name)
		return 1;
	if (notify_address(name, &sa, &len))
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL,
		      (const struct sockaddr *)&sa, len);
	saved = errno;
	close(fd);
	errno = saved;
	return sent == (ssize_t)strlen(state) ? 0 : -1;
}
