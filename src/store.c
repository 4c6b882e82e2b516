/* store.c - LMDB environment and the sticky-error transaction wrapper. */
#include "tillit/store.h"

#include <sys/mman.h>

#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const store_db_names[STORE_DB__COUNT] = {
	"meta", "members", "entities", "versions", "history",
	"audit", "prepared", "mdq", "imported", "sources", "imported_xml",
	"version_xml", "attest", "attest_idx", "evidence", "reports",
	"names", "name_idx", "tokens", "models", "agreements", "idp_dir",
	"sso_state", "sso_upreq", "sso_replay",
};

static int store_lmdb_err(struct tl_err *err, int mrc, const char *what, const char *path)
{
	if (mrc == MDB_MAP_FULL)
		return tl_err_set(err, TL_ESTORE,
		                  "%s: the database is full (raise map_size in tillit.conf)", path);
	return tl_err_set(err, TL_ESTORE, "%s: %s: %s", path, what, mdb_strerror(mrc));
}

int store_open(struct store **out, const char *dir, const struct store_opts *opts,
               struct tl_err *err)
{
	struct store *st;
	MDB_txn *txn = NULL;
	long page = sysconf(_SC_PAGESIZE);
	size_t map;
	int mrc, dead = 0;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory opening the store");
	snprintf(st->path, sizeof(st->path), "%s", dir);
	{
		char real[PATH_MAX];
		/* /proc/self/maps names the file by its resolved absolute path (store_drop_pages) */
		snprintf(st->map_path, sizeof(st->map_path), "%s/data.mdb", realpath(dir, real) ? real : dir);
	}
	map = opts->map_size;
	if (page > 0 && map % (size_t)page != 0)
		map += (size_t)page - map % (size_t)page;

	mrc = mdb_env_create(&st->env);
	if (mrc == 0)
		mrc = mdb_env_set_maxdbs(st->env, STORE_DB__COUNT + 4);
	if (mrc == 0)
		mrc = mdb_env_set_mapsize(st->env, map);
	if (mrc == 0)
		mrc = mdb_env_set_maxreaders(st->env, opts->max_readers);
	if (mrc == 0)
		mrc = mdb_env_open(st->env, dir, MDB_NOTLS | (opts->nosync ? MDB_NOSYNC : 0), 0600);
	if (mrc != 0) {
		store_lmdb_err(err, mrc, "cannot open the LMDB environment", dir);
		goto fail;
	}
	mdb_reader_check(st->env, &dead);

	mrc = mdb_txn_begin(st->env, NULL, 0, &txn);
	for (int i = 0; mrc == 0 && i < STORE_DB__COUNT; i++)
		mrc = mdb_dbi_open(txn, store_db_names[i], MDB_CREATE, &st->dbi[i]);
	if (mrc == 0) {
		mrc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (mrc != 0) {
		store_lmdb_err(err, mrc, "cannot open the named databases", dir);
		goto fail;
	}
	*out = st;
	return TL_OK;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st);
	return TL_ESTORE;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	free(st);
}

int store_txn_begin(struct store *st, struct store_txn *txn, int rdonly, struct tl_err *err)
{
	int mrc, dead;

	memset(txn, 0, sizeof(*txn));
	txn->st = st;
	txn->rdonly = rdonly;
	mrc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, &txn->txn);
	if (mrc == MDB_READERS_FULL) {
		mdb_reader_check(st->env, &dead);
		mrc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, &txn->txn);
	}
	if (mrc != 0) {
		txn->txn = NULL;
		return store_lmdb_err(err, mrc, "cannot begin a transaction", st->path);
	}
	return TL_OK;
}

static void store_stick(struct store_txn *txn, int mrc, const char *what)
{
	if (txn->rc != TL_OK)
		return;
	txn->rc = store_lmdb_err(&txn->err, mrc, what, txn->st->path);
}

int store_commit(struct store_txn *txn, struct tl_err *err)
{
	int mrc;

	if (txn->txn == NULL)
		return tl_err_set(err, TL_EINTERNAL, "commit of a finished transaction");
	if (txn->rc != TL_OK) {
		mdb_txn_abort(txn->txn);
		txn->txn = NULL;
		if (err != NULL)
			*err = txn->err;
		return txn->rc;
	}
	mrc = mdb_txn_commit(txn->txn);
	txn->txn = NULL;
	if (mrc != 0)
		return store_lmdb_err(err, mrc, "commit failed", txn->st->path);
	return TL_OK;
}

void store_abort(struct store_txn *txn)
{
	if (txn->txn != NULL)
		mdb_txn_abort(txn->txn);
	txn->txn = NULL;
}

int store_get(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              struct store_val *val)
{
	MDB_val k = { klen, (void *)key }, v;
	int mrc;

	if (txn->rc != TL_OK)
		return txn->rc;
	if (klen == 0 || klen > STORE_KEY_MAX)
		return TL_ENOENT;
	mrc = mdb_get(txn->txn, txn->st->dbi[db], &k, &v);
	if (mrc == MDB_NOTFOUND)
		return TL_ENOENT;
	if (mrc != 0) {
		store_stick(txn, mrc, "read failed");
		return txn->rc;
	}
	val->data = v.mv_data;
	val->len = v.mv_size;
	return TL_OK;
}

void store_put(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
               const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int mrc;

	if (txn->rc != TL_OK)
		return;
	if (klen == 0 || klen > STORE_KEY_MAX) {
		txn->rc = tl_err_set(&txn->err, TL_EINTERNAL, "store key of %zu bytes", klen);
		return;
	}
	mrc = mdb_put(txn->txn, txn->st->dbi[db], &k, &v, 0);
	if (mrc != 0)
		store_stick(txn, mrc, "write failed");
}

void store_del(struct store_txn *txn, enum store_db db, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int mrc;

	if (txn->rc != TL_OK)
		return;
	mrc = mdb_del(txn->txn, txn->st->dbi[db], &k, NULL);
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		store_stick(txn, mrc, "delete failed");
}

void store_iter_begin(struct store_txn *txn, enum store_db db, const void *prefix, size_t plen,
                      struct store_iter *it)
{
	int mrc;

	memset(it, 0, sizeof(*it));
	it->txn = txn;
	it->prefix = prefix;
	it->plen = plen;
	if (txn->rc != TL_OK)
		return;
	mrc = mdb_cursor_open(txn->txn, txn->st->dbi[db], &it->cur);
	if (mrc != 0) {
		it->cur = NULL;
		store_stick(txn, mrc, "cursor failed");
	}
}

int store_iter_next(struct store_iter *it, struct store_val *key, struct store_val *val)
{
	MDB_val k = { it->plen, (void *)it->prefix }, v;
	int mrc;

	if (it->cur == NULL)
		return 0;
	if (!it->started) {
		it->started = 1;
		mrc = it->plen > 0 ? mdb_cursor_get(it->cur, &k, &v, MDB_SET_RANGE)
		                   : mdb_cursor_get(it->cur, &k, &v, MDB_FIRST);
	} else {
		mrc = mdb_cursor_get(it->cur, &k, &v, MDB_NEXT);
	}
	if (mrc == MDB_NOTFOUND)
		return 0;
	if (mrc != 0) {
		store_stick(it->txn, mrc, "cursor read failed");
		return 0;
	}
	if (it->plen > 0 && (k.mv_size < it->plen || memcmp(k.mv_data, it->prefix, it->plen) != 0))
		return 0;
	key->data = k.mv_data;
	key->len = k.mv_size;
	val->data = v.mv_data;
	val->len = v.mv_size;
	return 1;
}

void store_iter_end(struct store_iter *it)
{
	if (it->cur != NULL)
		mdb_cursor_close(it->cur);
	it->cur = NULL;
}

uint64_t store_next_seq(struct store_txn *txn, enum store_db db, const void *prefix, size_t plen)
{
	struct store_iter it;
	struct store_val k, v;
	uint64_t last = 0;

	/* Sequences are short per prefix except the audit log, which is keyed
	 * by seq alone: there, jump to the last key directly. */
	if (plen == 0) {
		MDB_cursor *cur;
		MDB_val mk, mv;
		if (txn->rc != TL_OK || mdb_cursor_open(txn->txn, txn->st->dbi[db], &cur) != 0)
			return 1;
		if (mdb_cursor_get(cur, &mk, &mv, MDB_LAST) == 0 && mk.mv_size >= 8)
			last = store_get_be64((const unsigned char *)mk.mv_data + mk.mv_size - 8);
		mdb_cursor_close(cur);
		return last + 1;
	}
	store_iter_begin(txn, db, prefix, plen, &it);
	while (store_iter_next(&it, &k, &v))
		if (k.len >= 8)
			last = store_get_be64((const unsigned char *)k.data + k.len - 8);
	store_iter_end(&it);
	return last + 1;
}

void store_be64(unsigned char out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

uint64_t store_get_be64(const unsigned char in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

void store_be32(unsigned char out[4], uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

uint32_t store_get_be32(const unsigned char in[4])
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | in[i];
	return v;
}

void store_drop_pages_every(struct store *st, size_t n)
{
	if (st != NULL && st->keep_small > 0 && n > 0 && n % st->keep_small == 0)
		store_drop_pages(st);
}

void store_keep_small(struct store *st, unsigned every)
{
	if (st != NULL)
		st->keep_small = every;
}

void store_drop_pages(struct store *st)
{
	char want[4200], line[4608];
	FILE *f;

	/*
	 * LMDB does not say where it mapped the file (me_mapaddr is only set
	 * for MDB_FIXEDMAP): find the mapping of DIR/data.mdb in /proc/self/maps.
	 */
	if (st == NULL || !st->keep_small || (f = fopen("/proc/self/maps", "r")) == NULL)
		return;
	snprintf(want, sizeof(want), "%s", st->map_path);
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		char *path = strchr(line, '/'), *nl;
		if (path == NULL || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if ((nl = strchr(path, '\n')) != NULL)
			*nl = '\0';
		/* a read-only shared file mapping: the pages stay in the page cache, only ours let go */
		if (strcmp(path, want) == 0)
			madvise((void *)(uintptr_t)lo, hi - lo, MADV_DONTNEED);
	}
	fclose(f);
}
