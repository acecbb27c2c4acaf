// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: PCI address parsing (what vfiomap_device_open() accepts
 * and turns into sysfs paths).  Accepted addresses must be canonical
 * (4 to 8 domain digits) and contain no path separator.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[64], out[VFM_BDF_LEN];

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	if (vfm__parse_bdf(in, out) == 0) {
		size_t n = strlen(out), d = n - 8;	/* domain digits: 4 to 8 */

		if (n < 12 || n > 16 || strchr(out, '/') || out[d] != ':' ||
		    out[d + 3] != ':' || out[d + 6] != '.')
			abort();
		/* canonical form parses to itself */
		char again[VFM_BDF_LEN];

		if (vfm__parse_bdf(out, again) || strcmp(again, out))
			abort();
	}
	return 0;
}
