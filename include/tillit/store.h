/*
 * store.h - Tillit's state in LMDB, through a transaction wrapper with a
 * sticky error.
 *
 * One environment per data directory (DIR/db), opened once per process;
 * the named databases are opened once at store_open() and shared by all
 * threads.  Read transactions use MDB_NOTLS semantics, so a thread may
 * hold several and they never block the writer.  Every operation that
 * changes state does so in one write transaction: after a crash the store
 * holds either the old or the new state, never a mix.
 *
 * Sticky error: the first failing put/del inside a transaction records its
 * code in txn->rc and message in txn->err; later puts/dels are no-ops and
 * store_commit() aborts and returns that code.  Callers write
 * straight-line code and check once, at commit.
 */
#ifndef TILLIT_STORE_H
#define TILLIT_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "tillit/err.h"

/* The named databases and what they hold (keys / values). */
enum store_db {
	STORE_DB_META = 0,  /* short ASCII keys -> small values (counters, heads) */
	STORE_DB_MEMBERS,   /* org id -> member JSON */
	STORE_DB_ENTITIES,  /* sha1(entityID) -> entity JSON (members' entities) */
	STORE_DB_VERSIONS,  /* sha1 || be32 version -> version JSON (with the XML) */
	STORE_DB_HISTORY,   /* sha1 || be64 seq -> event JSON (who, what, when, why) */
	STORE_DB_AUDIT,     /* be64 seq -> hash-chained audit record JSON */
	STORE_DB_PREPARED,  /* sha1 -> prepared aggregate piece (pub.c's format) */
	STORE_DB_MDQ,       /* sha1 -> signed per-entity MDQ document (pub.c's format) */
	STORE_DB_IMPORTED,  /* sha1(entityID) -> imported entity JSON (with the XML) */
	STORE_DB_SOURCES,   /* import source name -> source JSON (last import report) */
	STORE_DB_IMPORTED_XML, /* sha1(entityID) -> the imported entity's XML document */
	STORE_DB_VERSION_XML,  /* sha1 || be32 version -> that version's XML document */
	STORE_DB_ATTEST,       /* be64 id -> attestation JSON (att.h) */
	STORE_DB_ATTEST_IDX,   /* sha1(entityID) || be64 id -> "" : an entity's attestations */
	STORE_DB_EVIDENCE,     /* be64 id -> the attestation's evidence bytes */
	STORE_DB_REPORTS,      /* sha1 || be32 version -> evaluation summary JSON (trust.h) */
	STORE_DB_NAMES,        /* sha1 -> "entityID\nlang\tdisplay name\n"... of an approved IdP (trust.h) */
	STORE_DB_NAME_IDX,     /* "lang\tdisplay name" NUL sha1 -> "": who uses a display name */
	STORE_DB_TOKENS,       /* SHA-256 of an API token -> its record JSON (auth.h) */
	STORE_DB_MODELS,       /* sha1 || be32 version -> SHA-256 of the XML || frozen model (mdm.h) */
	STORE_DB_AGREEMENTS,   /* sha1(SP entityID) -> attribute release agreement JSON (agr.h) */
	STORE_DB_IDP_DIR,      /* sha1 -> JSON of an approved member IdP as discovery shows it (reg.h) */
	/* the SSO environment (DIR/sso, opened with nosync by the hub; hub.h) */
	STORE_DB_SSO_STATE,    /* state nonce -> a login waiting at a member IdP */
	STORE_DB_SSO_UPREQ,    /* ID of the hub's upstream AuthnRequest -> state nonce, expiry */
	STORE_DB_SSO_REPLAY,   /* 'A' assertion ID / 'R' AuthnRequest ID of a peer -> expiry */
	STORE_DB__COUNT
};

#define STORE_KEY_MAX 511 /* mdb_env_get_maxkeysize() of LMDB 0.9 */

struct store_opts {
	size_t map_size;      /* bytes of address space (rounded up to the page size) */
	unsigned max_readers; /* reader slots */
	int nosync;           /* MDB_NOSYNC: commits survive a process crash, not an OS crash */
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB__COUNT];
	char path[4096];
	char map_path[4096];  /* DIR/data.mdb as /proc/self/maps names it (absolute, resolved) */
	unsigned keep_small; /* records between drops (store_keep_small); 0: store_drop_pages() does nothing */
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	int rdonly;
	int rc;             /* sticky: first error, TL_OK while all went well */
	struct tl_err err;  /* message of the first error */
};

struct store_val {
	const void *data; /* borrowed: valid until the transaction ends */
	size_t len;
};

/*
 * Open (creating if needed) the environment in directory dir (which must
 * exist) and all named databases.  Runs a stale-reader check.  On success
 * *out owns the store: release it with store_close().
 * Errors: TL_ESTORE (with the LMDB reason and the path), TL_ENOMEM.
 */
int store_open(struct store **out, const char *dir, const struct store_opts *opts,
               struct tl_err *err);

/*
 * Let go of the mapped pages this process has read (madvise DONTNEED on
 * the read-only map): after a pass over the whole store (re-evaluating
 * every entity) they would otherwise count as the process's resident
 * memory although they are only page cache.  The data is untouched; the
 * next read maps the page again.  Only once store_keep_small() asked for
 * it (tillitd): a short-lived command would pay for faulting pages in
 * again and gain nothing.  NULL is ok.
 */
void store_drop_pages(struct store *st);

/*
 * In a pass over many records: after the n-th (counting from 1), every
 * so many records as store_keep_small() said, store_drop_pages().  Also
 * in walks over small records (the entity heads, the IdP directory): a
 * read fault maps the 64 KB of file around it (the kernel's fault-around),
 * so a walk over 11,000 entity heads mapped 65 MB of the file before it
 * dropped as it went.
 */
void store_drop_pages_every(struct store *st, size_t n);

/*
 * Make store_drop_pages() act on st, and store_drop_pages_every() drop
 * after every `every` records; 0 (the default): do nothing.  A daemon
 * that must stay small asks for STORE_DROP_EVERY (tillitd); a command's
 * one pass, which pays for each drop in pages faulted in again, for
 * fewer (STORE_DROP_PASS).
 */
#define STORE_DROP_EVERY 256
#define STORE_DROP_PASS 1024
void store_keep_small(struct store *st, unsigned every);

/* Close the environment.  All transactions must be finished.  NULL is ok. */
void store_close(struct store *st);

/*
 * Begin a transaction (read-only if rdonly).  A full reader table is
 * handled once here (stale readers cleared, one retry).
 * Errors: TL_ESTORE.  On error nothing needs to be finished.
 */
int store_txn_begin(struct store *st, struct store_txn *txn, int rdonly, struct tl_err *err);

/*
 * Commit a write transaction (or finish a read one).  If the sticky error
 * is set the transaction is aborted and its code returned with its
 * message copied into err.  Errors: the sticky code, TL_ESTORE (map full:
 * the message names the map_size setting).
 */
int store_commit(struct store_txn *txn, struct tl_err *err);

/* Abort (or finish a read transaction).  Safe to call on a finished txn. */
void store_abort(struct store_txn *txn);

/*
 * Look up key in db.  Returns TL_OK and fills *val (borrowed until the
 * transaction ends), TL_ENOENT if absent (not sticky), or TL_ESTORE
 * (sticky).  A lookup in a transaction whose sticky error is set returns
 * that error.
 */
int store_get(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              struct store_val *val);

/* Insert or replace.  Errors are sticky (see above).  */
void store_put(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
               const void *val, size_t vlen);

/* Delete key (absent is not an error).  Errors are sticky. */
void store_del(struct store_txn *txn, enum store_db db, const void *key, size_t klen);

/*
 * Iterate over the keys of db that start with prefix (plen may be 0 for
 * all), in key order.  Usage:
 *   struct store_iter it; store_iter_begin(txn, db, p, n, &it);
 *   while (store_iter_next(&it, &k, &v)) ...; store_iter_end(&it);
 * Keys and values are borrowed until the next call.  An LMDB error ends
 * the iteration and sets the sticky error.
 */
struct store_iter {
	struct store_txn *txn;
	MDB_cursor *cur;
	const void *prefix;
	size_t plen;
	int started;
};
void store_iter_begin(struct store_txn *txn, enum store_db db, const void *prefix, size_t plen,
                      struct store_iter *it);
int store_iter_next(struct store_iter *it, struct store_val *key, struct store_val *val);
void store_iter_end(struct store_iter *it);

/*
 * The last key of db that starts with prefix, whose last 8 bytes are a
 * big-endian counter, plus one (1 if there is none).  For append-only
 * sequences (audit log, history).
 */
uint64_t store_next_seq(struct store_txn *txn, enum store_db db, const void *prefix, size_t plen);

/* Big-endian helpers for building keys. */
void store_be64(unsigned char out[8], uint64_t v);
uint64_t store_get_be64(const unsigned char in[8]);
void store_be32(unsigned char out[4], uint32_t v);
uint32_t store_get_be32(const unsigned char in[4]);

#endif
