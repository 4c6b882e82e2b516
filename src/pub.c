/* pub.c - publication: prepared pieces, MDQ documents, the signed aggregate. */
#include "tillit/pub.h"

#include <stdlib.h>
#include <string.h>

/*
 * MDQ record layout (all integers big-endian):
 *   "TLMQ" | be64 signed_at | be64 valid_until | be32 entity_id_len |
 *   etag (68 bytes: quoted 64 hex + NUL + pad) | entity_id | NUL | body
 */
#define MDQ_MAGIC "TLMQ"
#define MDQ_ETAG_LEN 68
#define MDQ_HDR (4 + 8 + 8 + 4 + MDQ_ETAG_LEN)

void pub_mdq_put(struct store_txn *txn, const char *entity_id, const char *body, size_t len,
                 int64_t signed_at, int64_t valid_until)
{
	unsigned char key[UTIL_SHA1_LEN], digest[UTIL_SHA256_LEN];
	size_t idlen = strlen(entity_id), total = MDQ_HDR + idlen + 1 + len;
	unsigned char *rec;
	char hex[2 * UTIL_SHA256_LEN + 1];

	rec = malloc(total);
	if (rec == NULL) {
		if (txn->rc == TL_OK)
			txn->rc = tl_err_set(&txn->err, TL_ENOMEM, "out of memory storing MDQ document");
		return;
	}
	memcpy(rec, MDQ_MAGIC, 4);
	store_be64(rec + 4, (uint64_t)signed_at);
	store_be64(rec + 12, (uint64_t)valid_until);
	store_be32(rec + 20, (uint32_t)idlen);
	util_sha256(body, len, digest);
	util_hex(digest, sizeof(digest), hex);
	memset(rec + 24, 0, MDQ_ETAG_LEN);
	rec[24] = '"';
	memcpy(rec + 25, hex, 64);
	rec[89] = '"';
	memcpy(rec + MDQ_HDR, entity_id, idlen);
	rec[MDQ_HDR + idlen] = '\0';
	memcpy(rec + MDQ_HDR + idlen + 1, body, len);
	util_sha1(entity_id, idlen, key);
	store_put(txn, STORE_DB_MDQ, key, sizeof(key), rec, total);
	free(rec);
}

int pub_mdq_get(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                struct pub_doc *doc)
{
	struct store_val v;
	const unsigned char *p;
	size_t idlen;
	int rc;

	rc = store_get(txn, STORE_DB_MDQ, sha1, UTIL_SHA1_LEN, &v);
	if (rc != TL_OK)
		return rc;
	p = v.data;
	if (v.len < MDQ_HDR || memcmp(p, MDQ_MAGIC, 4) != 0)
		return TL_ESTORE;
	idlen = store_get_be32(p + 20);
	if (v.len < MDQ_HDR + idlen + 1)
		return TL_ESTORE;
	doc->signed_at = (int64_t)store_get_be64(p + 4);
	doc->valid_until = (int64_t)store_get_be64(p + 12);
	doc->etag = (const char *)p + 24;
	doc->entity_id = (const char *)p + MDQ_HDR;
	doc->entity_id_len = idlen;
	doc->body = (const char *)p + MDQ_HDR + idlen + 1;
	doc->len = v.len - MDQ_HDR - idlen - 1;
	return TL_OK;
}

void pub_mdq_withdraw(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN])
{
	store_del(txn, STORE_DB_MDQ, sha1, UTIL_SHA1_LEN);
}
