// SPDX-License-Identifier: LGPL-2.1-or-later
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error[512];
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static vfiomap_log_fn log_fn;
static void *log_ctx;

static bool env_debug(void)
{
	const char *v = getenv("VFIOMAP_DEBUG");

	return v && *v && strcmp(v, "0");
}

static void emit(enum vfiomap_log_level level, const char *msg)
{
	vfiomap_log_fn fn;
	void *ctx;

	pthread_mutex_lock(&log_lock);
	fn = log_fn;
	ctx = log_ctx;
	pthread_mutex_unlock(&log_lock);
	if (fn)
		fn(level, msg, ctx);
	else if (env_debug())
		fprintf(stderr, "libvfiomap: %s%s\n",
			level == VFIOMAP_LOG_DEBUG ? "debug: " : "", msg);
}

int vfiomap_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	emit(VFIOMAP_LOG_ERROR, last_error);
	return err;
}

/*
 * Put @fmt before the calling thread's current message and report the
 * result like vfiomap_err().  The old message is copied out first, so it
 * is never both read and written by one vsnprintf (@fmt's arguments must
 * not point into it: pass context, not vfiomap_strerror()).
 */
int vfiomap_err_prefix(int err, const char *fmt, ...)
{
	char inner[sizeof(last_error)];
	size_t n, m;
	va_list ap;

	memcpy(inner, last_error, sizeof(inner));
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	/* append the old message; a too long one loses its tail */
	n = strlen(last_error);
	m = strnlen(inner, sizeof(last_error) - 1 - n);
	memcpy(last_error + n, inner, m);
	last_error[n + m] = 0;
	emit(VFIOMAP_LOG_ERROR, last_error);
	return err;
}

void vfiomap_debug(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!log_fn && !env_debug())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(VFIOMAP_LOG_DEBUG, buf);
}

VFIOMAP_EXPORT const char *vfiomap_strerror(void)
{
	return last_error;
}

VFIOMAP_EXPORT void vfiomap_set_log_fn(vfiomap_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}
