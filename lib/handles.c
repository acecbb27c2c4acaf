// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Registry of live handles (devices, mappings), so that a stale or foreign
 * pointer handed to vfiomap_unmap() or vfiomap_device_close() is refused
 * instead of being dereferenced.  Only pointer values are compared.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const void **reg;
static size_t reg_n, reg_cap;

int vfiomap_handle_add(const void *h)
{
	int ret = 0;

	pthread_mutex_lock(&reg_lock);
	if (reg_n == reg_cap) {
		size_t cap = reg_cap ? reg_cap * 2 : 64;
		const void **n = realloc(reg, cap * sizeof(*reg));

		if (!n) {
			ret = -1;
			goto out;
		}
		reg = n;
		reg_cap = cap;
	}
	reg[reg_n++] = h;
out:
	pthread_mutex_unlock(&reg_lock);
	return ret;
}

/* Remove @h; true if it was live. */
bool vfiomap_handle_take(const void *h)
{
	bool found = false;

	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < reg_n; i++) {
		if (reg[i] == h) {
			reg[i] = reg[--reg_n];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	return found;
}
