/* fuzz_read: the input readers of --input and the runtime (JSON literals and
 * .json files, .npy, .csv) and the output formatters on what they return.
 * The first byte picks the reader; the rest is the input. */
#include "adrt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	ad_error err;
	ad_tensor *t = NULL;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 3) {
	case 0: {
		char *text = malloc(n + 1);
		if (!text)
			return 0;
		memcpy(text, p, n);
		text[n] = 0;
		t = ad_parse_json(text, &err);
		free(text);
		break;
	}
	case 1: t = ad_parse_npy(p, n, "fuzz.npy", &err); break;
	default: t = ad_parse_csv((const char *)p, n, "fuzz.csv", &err); break;
	}
	if (!t)
		return 0;
	/* what was read must describe, convert and print */
	char desc[128];
	ad_tensor_describe(t, desc, sizeof desc);
	ad_tensor *f = ad_tensor_convert(t, AD_F32, &err);
	const char *names[2] = {"t", "f"};
	const ad_tensor *ts[2] = {t, f};
	if (ad_tensor_numel(t) <= 4096) {
		free(ad_format_json(names, ts, f ? 2 : 1));
		free(ad_format_text(names, ts, f ? 2 : 1));
		if (t->rank <= 2)
			free(ad_format_csv(names, ts, 1));
	}
	ad_tensor_free(f);
	ad_tensor_free(t);
	return 0;
}
