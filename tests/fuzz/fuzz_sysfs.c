// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: PCI address parsing (what vfiomap_device_open() accepts
 * and turns into sysfs paths).  Accepted addresses must be canonical and
 * contain no path separator.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[64], out[16];

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	if (vfiomap_parse_bdf(in, out) == 0) {
		if (strlen(out) != 12 || strchr(out, '/') || out[4] != ':' ||
		    out[7] != ':' || out[10] != '.')
			abort();
		/* canonical form parses to itself */
		char again[16];

		if (vfiomap_parse_bdf(out, again) || strcmp(again, out))
			abort();
	}
	return 0;
}
