// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libc calls of the library, for the fake's failure injection
 * (fake_inject_arm()): the unit tests that link this file link with
 * -Wl,--wrap=NAME for each (tests/unit/meson.build; the names with
 * _FILE_OFFSET_BITS=64, which meson sets), so the library's calls, and the
 * tests', come here, and go on to libc unless fake_inject() fails them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_vfio.h"

int __real_open64(const char *path, int flags, ...);
FILE *__real_fopen64(const char *path, const char *mode);
DIR *__real_opendir(const char *path);
int __real_stat64(const char *path, struct stat64 *st);
ssize_t __real_readlink(const char *path, char *buf, size_t len);
int __real_fcntl64(int fd, int cmd, ...);
ssize_t __real_pread64(int fd, void *buf, size_t len, off64_t off);
void *__real_mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off);
int __real_madvise(void *addr, size_t len, int advice);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

int __wrap_open64(const char *path, int flags, ...);
FILE *__wrap_fopen64(const char *path, const char *mode);
DIR *__wrap_opendir(const char *path);
int __wrap_stat64(const char *path, struct stat64 *st);
ssize_t __wrap_readlink(const char *path, char *buf, size_t len);
int __wrap_fcntl64(int fd, int cmd, ...);
ssize_t __wrap_pread64(int fd, void *buf, size_t len, off64_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off);
int __wrap_madvise(void *addr, size_t len, int advice);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

int __wrap_open64(const char *path, int flags, ...)
{
	int mode = 0;

	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (fake_inject(FAKE_CALL_OPEN, "%s", path)) {
		errno = fake.inj.err;
		return -1;
	}
	return __real_open64(path, flags, mode);
}

FILE *__wrap_fopen64(const char *path, const char *mode)
{
	if (fake_inject(FAKE_CALL_FOPEN, "%s", path)) {
		errno = fake.inj.err;
		return NULL;
	}
	return __real_fopen64(path, mode);
}

DIR *__wrap_opendir(const char *path)
{
	if (fake_inject(FAKE_CALL_OPENDIR, "%s", path)) {
		errno = fake.inj.err;
		return NULL;
	}
	return __real_opendir(path);
}

int __wrap_stat64(const char *path, struct stat64 *st)
{
	if (fake_inject(FAKE_CALL_STAT, "%s", path)) {
		errno = fake.inj.err;
		return -1;
	}
	return __real_stat64(path, st);
}

ssize_t __wrap_readlink(const char *path, char *buf, size_t len)
{
	if (fake_inject(FAKE_CALL_READLINK, "%s", path)) {
		errno = fake.inj.err;
		return -1;
	}
	return __real_readlink(path, buf, len);
}

int __wrap_fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);	/* as glibc: whatever the command takes */
	va_end(ap);
	if (fake_inject(FAKE_CALL_FCNTL, "fd %d cmd %d", fd, cmd)) {
		errno = fake.inj.err;
		return -1;
	}
	return __real_fcntl64(fd, cmd, arg);
}

ssize_t __wrap_pread64(int fd, void *buf, size_t len, off64_t off)
{
	if (fake_inject(FAKE_CALL_PREAD, "fd %d 0x%zx at 0x%llx", fd, len, (unsigned long long)off)) {
		errno = fake.inj.err;
		return -1;
	}
	return __real_pread64(fd, buf, len, off);
}

void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	void *p;

	if (fake_inject(FAKE_CALL_MMAP, "0x%zx bytes, prot 0x%x, flags 0x%x, fd %d", len,
			prot, flags, fd)) {
		errno = fake.inj.err;
		return MAP_FAILED;
	}
	p = __real_mmap64(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED)
		fake_inject_mapped(p, len);
	return p;
}

int __wrap_madvise(void *addr, size_t len, int advice)
{
	if (fake_inject(FAKE_CALL_MADVISE, "%p 0x%zx advice %d", addr, len, advice)) {
		errno = fake.inj.err;
		return -1;
	}
	return __real_madvise(addr, len, advice);
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (fake_inject(FAKE_CALL_CALLOC, "%zu x %zu bytes", n, size)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	if (fake_inject(FAKE_CALL_REALLOC, "%zu bytes", size)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, size);
}
