// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Per-thread messages and the log callback.
 *
 * The callback never runs with a device lock held: while a thread holds
 * one (vfm__dev_lock() calls vfm__log_hold()), its messages are
 * queued, and delivered when it lets go of the last one.  Inside an
 * attempt whose failure the caller handles (AUTO's cdev try, the cookie
 * before the sysfs WC fallback), failures are logged at DEBUG;
 * vfm__err_report() logs the message at ERROR if the attempt's failure
 * becomes the call's.
 *
 * Sinks: a device's own (vfiomap_device_set_logger()) takes the messages
 * of the calls on that device (VFM_LOG_SCOPE() at their start tells this
 * file which device that is), the process-wide one (vfiomap_set_logger()
 * or vfiomap_set_log_fn()) everything else.  Every sink's fields are
 * under log_lock; log_busy counts the deliveries to any of them, and
 * replacing a sink waits until the other threads' deliveries are done.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MSG_LEN		512
#define MAX_PENDING	4

struct pending {
	enum vfiomap_log_level level;
	const struct vfiomap_device *dev;	/* whose call logged it, or NULL */
	char msg[MSG_LEN];
};

static _Thread_local char last_error[MSG_LEN];
static _Thread_local unsigned int locks_held, attempts;
static _Thread_local struct pending pending[MAX_PENDING];
static _Thread_local unsigned int nr_pending;
/* the device whose public call this thread runs (VFM_LOG_SCOPE()) */
static _Thread_local const struct vfiomap_device *scope_dev;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_idle = PTHREAD_COND_INITIALIZER;
static vfiomap_log_fn log_fn;		/* with log_ctx, under log_lock */
static vfiomap_logger_fn logger_fn;	/* or this one (0.3), with a threshold */
static enum vfiomap_severity logger_threshold;
static void *log_ctx;
/*
 * Deliveries in progress (under log_lock), and this thread's: a callback
 * being replaced may still run in other threads, and vfiomap_set_log_fn()
 * waits for those before it returns, so the caller may free the old
 * context; called from within a callback it does not wait.
 */
static unsigned int log_busy;
static _Thread_local unsigned int log_busy_here;
static atomic_bool have_log_fn;		/* fast check without the lock */
static atomic_uint nr_dev_sinks;	/* devices with a sink of their own */

static bool env_debug(void)
{
	const char *v = getenv("VFIOMAP_DEBUG");

	return v && *v && strcmp(v, "0");
}

static bool logging(void)
{
	return atomic_load_explicit(&have_log_fn, memory_order_relaxed) ||
	       (scope_dev && atomic_load_explicit(&nr_dev_sinks, memory_order_relaxed)) ||
	       env_debug();
}

static const char *level_prefix(enum vfiomap_log_level level)
{
	switch (level) {
	case VFIOMAP_LOG_DEBUG: return "debug: ";
	case VFIOMAP_LOG_INFO: return "info: ";
	default: return "";
	}
}

/* pthread_atfork() handlers (iommu.c): the child must not inherit it locked */
void vfm__log_lock_for_fork(void)
{
	pthread_mutex_lock(&log_lock);
}

void vfm__log_unlock_after_fork(bool child)
{
	/* the child has only this thread: the others' deliveries are not in it */
	if (child)
		log_busy = log_busy_here;
	pthread_mutex_unlock(&log_lock);
}

/* The severity of a 0.1 log level (whose values are not in that order) */
static enum vfiomap_severity severity_of(enum vfiomap_log_level level)
{
	switch (level) {
	case VFIOMAP_LOG_ERROR: return VFIOMAP_SEV_ERROR;
	case VFIOMAP_LOG_INFO: return VFIOMAP_SEV_INFO;
	default: return VFIOMAP_SEV_DEBUG;
	}
}

static void deliver(enum vfiomap_log_level level, const char *msg,
		    const struct vfiomap_device *dev)
{
	char copy[MSG_LEN];	/* the callback may fail a call: last_error changes */
	enum vfiomap_severity threshold;
	vfiomap_log_fn fn;
	vfiomap_logger_fn lfn;
	bool filtered = false;
	void *ctx;

	pthread_mutex_lock(&log_lock);
	if (dev && dev->sink.fn) {	/* the device's own sink */
		fn = NULL;
		lfn = dev->sink.fn;
		threshold = dev->sink.threshold;
		ctx = dev->sink.ctx;
	} else {
		fn = log_fn;
		lfn = logger_fn;
		threshold = logger_threshold;
		ctx = log_ctx;
	}
	if (lfn && severity_of(level) > threshold) {
		lfn = NULL;	/* below the threshold: not even to stderr */
		filtered = true;
	}
	if (fn || lfn) {
		log_busy++;
		log_busy_here++;
	}
	pthread_mutex_unlock(&log_lock);
	if (filtered)
		return;
	snprintf(copy, sizeof(copy), "%s", msg);
	if (fn || lfn) {
		if (fn)
			fn(level, copy, ctx);
		else
			lfn(severity_of(level), copy, ctx);
		pthread_mutex_lock(&log_lock);
		log_busy--;
		log_busy_here--;
		pthread_cond_broadcast(&log_idle);
		pthread_mutex_unlock(&log_lock);
	} else if (env_debug())
		fprintf(stderr, "libvfiomap: %s%s\n", level_prefix(level), copy);
}

static void emit(enum vfiomap_log_level level, const char *msg)
{
	if (level == VFIOMAP_LOG_ERROR && attempts)
		level = VFIOMAP_LOG_DEBUG;
	if (!logging())
		return;
	if (!locks_held) {
		deliver(level, msg, scope_dev);
		return;
	}
	if (nr_pending == MAX_PENDING) {	/* keep the newest */
		memmove(&pending[0], &pending[1], sizeof(pending[0]) * (MAX_PENDING - 1));
		nr_pending--;
	}
	pending[nr_pending].level = level;
	pending[nr_pending].dev = scope_dev;
	snprintf(pending[nr_pending].msg, MSG_LEN, "%s", msg);
	nr_pending++;
}

void vfm__log_hold(void)
{
	locks_held++;
}

void vfm__log_release(void)
{
	struct pending out[MAX_PENDING];
	unsigned int n = nr_pending;

	if (--locks_held || !n)
		return;
	/* take the queue first: a callback may lock and release again */
	memcpy(out, pending, n * sizeof(out[0]));
	nr_pending = 0;
	for (unsigned int i = 0; i < n; i++)
		deliver(out[i].level, out[i].msg, out[i].dev);
}

void vfm__attempt_begin(void)
{
	attempts++;
}

void vfm__attempt_end(void)
{
	attempts--;
}

int vfm__err_report(int err)
{
	emit(VFIOMAP_LOG_ERROR, last_error);
	return err;
}

int vfm__err(int err, const char *fmt, ...)
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
 * result like vfm__err().  The old message is copied out first, so it
 * is never both read and written by one vsnprintf (@fmt's arguments must
 * not point into it: pass context, not vfiomap_strerror()).
 */
int vfm__err_prefix(int err, const char *fmt, ...)
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

int vfm__out_size(size_t size, size_t min, const char *fn, const char *member,
		  const char *type)
{
	if (size < min)
		return vfm__err(-EINVAL, "%s: %s %zu is too small: set it to sizeof(%s)",
				fn, member, size, type);
	return 0;
}

int vfm__copy_opts(void *dst, size_t ours, const void *user, size_t min,
		   const char *what)
{
	size_t size;

	memcpy(&size, user, sizeof(size));
	if (size < min)
		return vfm__err(-EINVAL, "%s: size %zu is too small", what, size);
	if (size > ours) {
		for (size_t i = ours; i < size; i++)
			if (((const uint8_t *)user)[i])
				return vfm__err(-EINVAL,
						"%s: unknown non-zero option at byte %zu (built for a newer libvfiomap?)",
						what, i);
		size = ours;
	}
	/* dst holds the defaults: what an older struct lacks keeps them */
	memcpy(dst, user, size);
	memcpy(dst, &ours, sizeof(ours));
	return 0;
}

static void vlog(enum vfiomap_log_level level, const char *fmt, va_list ap)
{
	char buf[MSG_LEN];

	if (!logging())
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	emit(level, buf);
}

void vfm__debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(VFIOMAP_LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void vfm__info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(VFIOMAP_LOG_INFO, fmt, ap);
	va_end(ap);
}

VFIOMAP_EXPORT const char *vfiomap_last_error(void)
{
	return last_error;
}

/* 0.1's name of vfiomap_last_error(): it never was strerror(3) */
VFIOMAP_EXPORT const char *vfiomap_strerror(void)
{
	return last_error;
}

/*
 * With log_lock held: wait until no other thread delivers a message.  Not
 * from within a callback: two callbacks replacing sinks at once would
 * wait for each other.
 */
static void wait_deliveries_locked(void)
{
	while (!log_busy_here && log_busy)
		pthread_cond_wait(&log_idle, &log_lock);
}

/* Install a sink (one of the two kinds, or none) and wait out the old one */
static void set_sink(vfiomap_log_fn fn, vfiomap_logger_fn lfn,
		     enum vfiomap_severity threshold, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	logger_fn = lfn;
	logger_threshold = threshold;
	log_ctx = ctx;
	atomic_store(&have_log_fn, fn || lfn);
	/* the old callback may still run elsewhere: wait until it returned */
	wait_deliveries_locked();
	pthread_mutex_unlock(&log_lock);
}

VFIOMAP_EXPORT void vfiomap_set_log_fn(vfiomap_log_fn fn, void *ctx)
{
	set_sink(fn, NULL, VFIOMAP_SEV_DEBUG, ctx);
}

VFIOMAP_EXPORT int vfiomap_set_logger(vfiomap_logger_fn fn, void *ctx,
				      enum vfiomap_severity threshold)
{
	if ((unsigned int)threshold > VFIOMAP_SEV_DEBUG)
		return vfm__err(-EINVAL, "vfiomap_set_logger: unknown threshold %d",
				(int)threshold);
	set_sink(NULL, fn, threshold, ctx);
	return 0;
}

struct vfm_log_scope vfm__log_scope_begin(const struct vfiomap_device *dev)
{
	struct vfm_log_scope s = { .prev = scope_dev };

	scope_dev = dev;
	return s;
}

void vfm__log_scope_end(struct vfm_log_scope *s)
{
	scope_dev = s->prev;
}

static void set_dev_sink(struct vfiomap_device *dev, vfiomap_logger_fn fn,
			 void *ctx, enum vfiomap_severity threshold)
{
	pthread_mutex_lock(&log_lock);
	if (!dev->sink.fn != !fn) {
		if (fn)
			atomic_fetch_add(&nr_dev_sinks, 1);
		else
			atomic_fetch_sub(&nr_dev_sinks, 1);
	}
	dev->sink.fn = fn;
	dev->sink.ctx = ctx;
	dev->sink.threshold = threshold;
	wait_deliveries_locked();
	pthread_mutex_unlock(&log_lock);
}

VFIOMAP_EXPORT int vfiomap_device_set_logger(struct vfiomap_device *dev,
					     vfiomap_logger_fn fn, void *ctx,
					     enum vfiomap_severity threshold)
{
	if (!vfm__device_valid(dev))
		return vfm__err(-EINVAL, "vfiomap_device_set_logger: no device");
	if ((unsigned int)threshold > VFIOMAP_SEV_DEBUG)
		return vfm__err(-EINVAL, "vfiomap_device_set_logger: unknown threshold %d",
				(int)threshold);
	set_dev_sink(dev, fn, ctx, threshold);
	return 0;
}

void vfm__log_forget(struct vfiomap_device *dev)
{
	if (dev->sink.fn)
		set_dev_sink(dev, NULL, NULL, VFIOMAP_SEV_ERROR);
	if (scope_dev == dev)
		scope_dev = NULL;	/* what close logs after this is not @dev's */
	for (unsigned int i = 0; i < nr_pending; i++)
		if (pending[i].dev == dev)
			pending[i].dev = NULL;
}
