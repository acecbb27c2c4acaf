/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_ERROR_H
#define LIBVFIOMAP_ERROR_H

#include <libvfiomap/deprecated.h>

/**
 * DOC: errors
 *
 * Every function that can fail returns a negative errno value (or NULL
 * with errno set, where it returns a pointer) and records a human-readable
 * message.  Messages are kept per thread: vfiomap_last_error() returns
 * the message of the calling thread's last failure, valid until its next
 * failing call.  The library never prints, aborts or exits on its own:
 * diagnostics go to a log callback installed with vfiomap_set_log_fn(),
 * or to stderr when the environment variable VFIOMAP_DEBUG is set to a
 * non-empty value other than "0".
 */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum vfiomap_log_level - what a log message reports
 * @VFIOMAP_LOG_ERROR: a call failed; the message is the one
 *	vfiomap_strerror() returns
 * @VFIOMAP_LOG_DEBUG: a debug event, or a failed attempt the library
 *	recovered from (AUTO's cdev try, the cookie before the sysfs
 *	write-combining fallback): the call itself may still succeed
 * @VFIOMAP_LOG_INFO: a fallback was taken
 */
enum vfiomap_log_level {
	VFIOMAP_LOG_ERROR = 0,
	VFIOMAP_LOG_DEBUG = 1,
	VFIOMAP_LOG_INFO = 2,
};

typedef void (*vfiomap_log_fn)(enum vfiomap_log_level level, const char *msg,
			       void *ctx);

/**
 * enum vfiomap_severity - how severe a log message is, in order (0.3)
 * @VFIOMAP_SEV_ERROR: a call failed (the message vfiomap_last_error()
 *	returns)
 * @VFIOMAP_SEV_WARN: something is wrong, the call went on
 * @VFIOMAP_SEV_INFO: a fallback was taken
 * @VFIOMAP_SEV_DEBUG: a debug event, or a failed attempt the library
 *	recovered from
 *
 * Unlike enum vfiomap_log_level (0.1), whose values are not in order of
 * severity, a lower value is more severe: a threshold keeps what is at or
 * below it.
 */
enum vfiomap_severity {
	VFIOMAP_SEV_ERROR = 0,
	VFIOMAP_SEV_WARN = 1,
	VFIOMAP_SEV_INFO = 2,
	VFIOMAP_SEV_DEBUG = 3,
};

typedef void (*vfiomap_logger_fn)(enum vfiomap_severity sev, const char *msg,
				  void *ctx);

/**
 * vfiomap_set_logger() - install a diagnostics callback with a threshold
 *	(since 0.3)
 * @fn: called for every message at or below @threshold; NULL removes it
 * @ctx: passed back to @fn
 * @threshold: the least severe message to deliver (VFIOMAP_SEV_ERROR:
 *	failures only; VFIOMAP_SEV_DEBUG: everything)
 *
 * The same rules as vfiomap_set_log_fn(), which it replaces (there is one
 * sink: installing either removes the other): process-wide, never called
 * with a library lock held, and when it returns no other thread still
 * runs the callback it replaced.  Messages above the threshold are
 * dropped, not printed (VFIOMAP_DEBUG then prints nothing either).
 *
 * Return: 0, or -EINVAL for an unknown threshold (nothing changes).
 */
int vfiomap_set_logger(vfiomap_logger_fn fn, void *ctx,
		       enum vfiomap_severity threshold);

/**
 * vfiomap_last_error() - message of the calling thread's last failure
 *	(since 0.3)
 *
 * Return: a NUL-terminated string owned by the library ("" if nothing
 * failed in this thread yet); valid until the thread's next failing call.
 */
const char *vfiomap_last_error(void);

#ifndef VFIOMAP_NO_DEPRECATED
/**
 * vfiomap_strerror() - the 0.1 name of vfiomap_last_error()
 *
 * Not strerror(3): it takes no errno and returns the calling thread's
 * last message, exactly as vfiomap_last_error() does.  Kept for programs
 * built against 0.1 and 0.2; new code calls vfiomap_last_error().
 *
 * Deprecated since 0.3: use vfiomap_last_error() (see libvfiomap/deprecated.h).
 *
 * Return: what vfiomap_last_error() returns.
 */
const char *vfiomap_strerror(void)
	VFIOMAP_DEPRECATED("vfiomap_last_error()");
#endif

#ifndef VFIOMAP_NO_DEPRECATED
/**
 * vfiomap_set_log_fn() - install a diagnostics callback
 * @fn: called for every recorded error (and debug events); NULL removes it
 * @ctx: passed back to @fn
 *
 * The callback is process-wide and may be called from any thread that
 * uses the library.  It is never called with a library lock held, so it
 * may call back into the library (even on the device that logged).  A
 * successful call logs no VFIOMAP_LOG_ERROR message.  @msg is valid only
 * during the callback.  When vfiomap_set_log_fn() returns, no other thread
 * is running the callback it replaced (since 0.3: it waits for them), so
 * the old @ctx may be freed; called from within a callback it does not
 * wait (the old @ctx must then outlive the other threads' deliveries).
 *
 * Deprecated since 0.3: use vfiomap_set_logger() (see libvfiomap/deprecated.h).
 *
 * Return: nothing.
 */
void vfiomap_set_log_fn(vfiomap_log_fn fn, void *ctx)
	VFIOMAP_DEPRECATED("vfiomap_set_logger()");
#endif

#ifdef __cplusplus
}
#endif

#endif
