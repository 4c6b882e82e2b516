/*
 * dsbench.c - how long ds_render() takes for a federation of N IdPs.
 *
 *   contrib/tillit-dsbench [N [ITERATIONS]]     (default 5000 IdPs, 50 pages)
 *
 * The IdPs have Swedish and English names that share long prefixes (the
 * worst case for sorting), descriptions and https logos.  Prints the time
 * per page without a search, with a search that matches most IdPs and with
 * one that matches a few, and the page sizes.
 */
#include "tillit/buf.h"
#include "tillit/ds.h"
#include "tillit/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char *const towns[] = { "Örebro", "Åre", "Älvdalen", "Umeå", "Linköping",
	                                     "Malmö", "Göteborg", "Västerås", "Luleå", "Zeta" };
	static const char *const queries[] = { NULL, "kommun", "linköping 12" };
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 5000;
	long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 50;
	struct ds_hidden hidden[] = { { "state", "bench-state-nonce" } };
	struct ds_idp *idps;
	char (*text)[3][96];
	int rc = 1;

	if (n <= 0 || iterations <= 0) {
		fprintf(stderr, "usage: tillit-dsbench [N [ITERATIONS]]\n");
		return 2;
	}
	idps = calloc((size_t)n, sizeof(*idps));
	text = calloc((size_t)n, sizeof(*text));
	if (idps == NULL || text == NULL)
		goto out;
	for (long i = 0; i < n; i++) {
		const char *town = towns[i % 10];
		long k = (i * 7919) % n;
		snprintf(text[i][0], sizeof(text[i][0]), "https://idp%ld.example.se/idp", i);
		snprintf(text[i][1], sizeof(text[i][1]), "%s kommun %ld", town, k);
		snprintf(text[i][2], sizeof(text[i][2]), "%s municipality %ld", town, k);
		idps[i] = (struct ds_idp){ text[i][0], text[i][1], text[i][2],
		                           "Inloggning för anställda och elever",
		                           "Login for staff and pupils", "https://idp.example.se/logo.png" };
	}
	printf("ds_render, %ld IdPs, %ld pages each\n", n, iterations);
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		struct ds_page page = { "sv", "/ds", hidden, 1, "Bygglov", queries[q], text[0][0], NULL };
		struct tl_err err;
		struct buf out;
		double t0 = now();
		size_t len = 0;

		buf_init(&out, 256u << 20);
		for (long i = 0; i < iterations; i++) {
			buf_reset(&out);
			if (ds_render(&page, idps, (size_t)n, &out, &err) != TL_OK) {
				fprintf(stderr, "tillit-dsbench: %s\n", err.msg);
				buf_free(&out);
				goto out;
			}
			len = out.len;
		}
		printf("  query %-14s %8.2f ms/page, %9zu bytes\n", queries[q] ? queries[q] : "(none)",
		       (now() - t0) * 1000 / (double)iterations, len);
		buf_free(&out);
	}
	rc = 0;
out:
	free(text);
	free(idps);
	return rc;
}
