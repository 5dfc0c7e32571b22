/* fuzz_compile: the whole compiler on arbitrary source text, from bytes to
 * emitted C: parse, check, lower (with grad/backward expansion), verify and
 * optimize, build every function's VJP and forward/backward pair, emit the
 * module and its header, and print every stage. Any input must end in C or
 * in diagnostics; a crash, leak, hang, sanitizer report or internal error is
 * a finding. */
#include "driver.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Compilation *c = adc_new("fuzz.ad", (const char *)data, size);
	if (!c)
		return 0;
	(void)adc_tokens(c);
	(void)adc_ast(c);
	if (adc_optimize(c, true) == ADC_OK) {
		(void)adc_ir(c, false);
		(void)adc_ir(c, true);
		Buf mem, sched;
		buf_init(&mem, c->A);
		buf_init(&sched, c->A);
		EmitOptions o = {"fuzz.h", NULL, true, &mem, &sched, 0, false};
		char *csrc = NULL, *hsrc = NULL;
		adc_emit(c, &o, true, &csrc, &hsrc);
		buf_free(&mem);
		buf_free(&sched);
	}
	(void)adc_messages(c);
	if (c->status == ADC_ICE) {
		/* an internal error is a bug, even though it is reported cleanly */
		fprintf(stderr, "internal compiler error: %s\n", c->ice);
		abort();
	}
	adc_free(c);
	return 0;
}
