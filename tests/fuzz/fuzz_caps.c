// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the region-info capability-chain parser.  Input: a
 * 4-byte first offset, then the region-info buffer.  Any input must
 * parse or fail with -EPROTO/-EINVAL/-ENOMEM, never crash or leak.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfm_caps caps;
	uint32_t first;
	uint8_t *buf;
	int ret;

	if (size < 4)
		return 0;
	memcpy(&first, data, 4);
	buf = malloc(size - 4 ? size - 4 : 1);	/* exact size: ASan sees overreads */
	if (!buf)
		return 0;
	memcpy(buf, data + 4, size - 4);
	ret = vfm__parse_caps(buf, size - 4, 32, first, &caps);
	if (ret != 0 && ret != -EPROTO && ret != -EINVAL && ret != -ENOMEM)
		abort();
	if (!ret) {
		/* every parsed area must have been inside the buffer's claims */
		for (uint32_t i = 0; i < caps.nr_sparse; i++)
			if (caps.sparse[i].offset + caps.sparse[i].size < caps.sparse[i].offset)
				abort();
		vfm__caps_free(&caps);
	}
	free(buf);
	return 0;
}
