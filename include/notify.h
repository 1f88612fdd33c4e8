/*
 * notify.h - tells systemd how the server is doing (Type=notify units), with
 * the few lines of the sd_notify protocol rather than libsystemd.
 *
 * systemd puts the path of a datagram socket in $NOTIFY_SOCKET; a state is
 * one datagram of "KEY=value" lines sent to it. A name starting with '@' is
 * Linux's abstract namespace (the '@' stands for a leading NUL byte). The
 * server sends READY=1 once its port is bound, RELOADING=1 and READY=1
 * around a SIGHUP reload, and STOPPING=1 when SIGTERM arrives.
 *
 * Not under systemd (no $NOTIFY_SOCKET) every call is a no-op, so the
 * server runs the same from a shell, the tests and Docker. It keeps no
 * state; the server calls it from the loop thread.
 */
#ifndef NEUVO_NOTIFY_H
#define NEUVO_NOTIFY_H

/* Send `state` (e.g. "READY=1", or several lines joined by '\n') to
 * $NOTIFY_SOCKET. Returns 0 when sent, 1 when there is no socket to tell,
 * -1 when the variable is malformed or the send failed (the caller may log
 * it; systemd then times out the start, which is the right outcome). Never
 * blocks: the datagram is sent with MSG_DONTWAIT. */
int notify_send(const char *state);

#endif
