/* test_notify.c - the sd_notify datagrams (notify.h): each test binds its
 * own unix datagram socket, points $NOTIFY_SOCKET at it as systemd would,
 * and reads back exactly what the server would have told systemd. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "notify.h"
#include "unit.h"

/* A bound socket standing in for systemd's, and its $NOTIFY_SOCKET name. */
struct listener {
	int fd;
	char name[108];
	char dir[64];           /* the temp dir of a path socket, else "" */
};

static void
listen_path(struct listener *l)
{
	struct sockaddr_un sa;

	snprintf(l->dir, sizeof(l->dir), "/tmp/neuvo-notify-XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->name, sizeof(l->name), "%s/notify", l->dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, l->name);
	l->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->name, 1), 0);
}

static void
listen_abstract(struct listener *l)
{
	struct sockaddr_un sa;
	size_t n;

	l->dir[0] = '\0';
	snprintf(l->name, sizeof(l->name), "@neuvo-notify-test-%ld",
		 (long)getpid());
	n = strlen(l->name);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, l->name + 1, n - 1);
	l->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, (socklen_t)
			      (offsetof(struct sockaddr_un, sun_path) + n)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->name, 1), 0);
}

static void
listener_close(struct listener *l)
{
	char path[128];

	close(l->fd);
	unsetenv("NOTIFY_SOCKET");
	if (l->dir[0]) {
		snprintf(path, sizeof(path), "%s/notify", l->dir);
		unlink(path);
		rmdir(l->dir);
	}
}

/* The next datagram, as a string; fails the case when none is waiting. */
static void
receive(struct listener *l, char *buf, size_t n)
{
	ssize_t got = recv(l->fd, buf, n - 1, MSG_DONTWAIT);

	assert_true(got >= 0);
	buf[got] = '\0';
}

static void
nothing_to_tell_without_notify_socket(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_send("READY=1"), 1);
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(notify_send("READY=1"), 1);
	unsetenv("NOTIFY_SOCKET");
}

static void
ready_reaches_a_path_socket(void **state)
{
	struct listener l;
	char buf[256];

	(void)state;
	listen_path(&l);
	assert_int_equal(notify_send("READY=1"), 0);
	receive(&l, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1");
	listener_close(&l);
}

static void
ready_reaches_an_abstract_socket(void **state)
{
	struct listener l;
	char buf[256];

	(void)state;
	listen_abstract(&l);
	assert_int_equal(notify_send("READY=1"), 0);
	receive(&l, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1");
	listener_close(&l);
}

static void
each_state_is_its_own_datagram_in_order(void **state)
{
	struct listener l;
	char buf[256];

	(void)state;
	listen_abstract(&l);
	assert_int_equal(notify_send("RELOADING=1"), 0);
	assert_int_equal(notify_send("READY=1\nSTATUS=config reloaded"), 0);
	assert_int_equal(notify_send("STOPPING=1"), 0);
	receive(&l, buf, sizeof(buf));
	assert_string_equal(buf, "RELOADING=1");
	receive(&l, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1\nSTATUS=config reloaded");
	receive(&l, buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1");
	assert_true(recv(l.fd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	listener_close(&l);
}

static void
malformed_names_are_errors(void **state)
{
	char longname[200];

	(void)state;
	assert_int_equal(setenv("NOTIFY_SOCKET", "relative/notify", 1), 0);
	assert_int_equal(notify_send("READY=1"), -1);
	assert_int_equal(setenv("NOTIFY_SOCKET", "@", 1), 0);
	assert_int_equal(notify_send("READY=1"), -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(setenv("NOTIFY_SOCKET", longname, 1), 0);
	assert_int_equal(notify_send("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
}

static void
a_socket_nobody_reads_is_an_error(void **state)
{
	(void)state;
	assert_int_equal(setenv("NOTIFY_SOCKET",
				"/nonexistent/neuvo/notify", 1), 0);
	assert_int_equal(notify_send("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
}

int
test_notify_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_to_tell_without_notify_socket),
		cmocka_unit_test(ready_reaches_a_path_socket),
		cmocka_unit_test(ready_reaches_an_abstract_socket),
		cmocka_unit_test(each_state_is_its_own_datagram_in_order),
		cmocka_unit_test(malformed_names_are_errors),
		cmocka_unit_test(a_socket_nobody_reads_is_an_error),
	};

	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
