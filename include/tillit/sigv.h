/*
 * sigv.h - streaming verification of a signed SAML metadata aggregate.
 *
 * An eduGAIN-sized aggregate (10,000 entities, 80 MB) must be verified
 * without loading it whole: the file is read with libxml2's xmlTextReader,
 * canonicalised on the fly (our own streaming C14N, byte-identical to
 * libxml2's xmlC14NExecute) and digested, while each EntityDescriptor
 * child of the root is expanded as a small DOM subtree, handed to a
 * callback and freed.  Peak memory is one entity plus the reader's buffers.
 *
 * Trust model (metadata interoperability profile): the trust anchor is a
 * pinned public key; certificate dates and chains are not checked and any
 * KeyInfo in the document is ignored.
 *
 * Accepted signatures: exactly one ds:Signature, a child of the root
 * element; exactly one ds:Reference whose URI is "" or "#" + the root's ID
 * attribute; transforms limited to enveloped-signature followed by at most
 * one C14N transform (exclusive or inclusive 1.0, with or without
 * comments; exclusive may carry an InclusiveNamespaces PrefixList);
 * CanonicalizationMethod of SignedInfo likewise one of those four.
 * Digests SHA-256/384/512; signature methods RSA-SHA256/384/512 and
 * ECDSA-SHA256/384/512.  SHA-1 digests and RSA-SHA1 are refused unless
 * allow_sha1 is set, and then reported in sigv_result.used_sha1.
 *
 * The parse runs with no DTD loading, no entity substitution, no network;
 * a DOCTYPE is refused outright (no XML bombs, no external entities).
 */
#ifndef TILLIT_SIGV_H
#define TILLIT_SIGV_H

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <time.h>

#include "tillit/err.h"

struct sigv_opts {
	int allow_sha1;          /* accept SHA-1 digests / RSA-SHA1 */
	size_t max_bytes;        /* refuse files larger than this (TL_ELIMIT) */
	size_t max_entities;     /* refuse more EntityDescriptors than this */
	size_t max_entity_bytes; /* an entity subtree larger than this is rejected alone */
	int max_depth;           /* element nesting limit for the whole document */
};

struct sigv_result {
	char *name;            /* root @Name or NULL; free() it */
	char *id;              /* root @ID or NULL; free() it */
	char *valid_until;     /* root @validUntil as written, or NULL; free() */
	time_t valid_until_t;  /* parsed validUntil, 0 if absent */
	char *cache_duration;  /* root @cacheDuration or NULL; free() */
	size_t entities;       /* EntityDescriptors seen (incl. nested EntitiesDescriptors) */
	int used_sha1;         /* a SHA-1 digest or signature method was accepted */
	char c14n_method[128]; /* the C14N algorithm URI of the reference transform */
	char sig_method[128];  /* the SignatureMethod URI */
};

/*
 * Called once per EntityDescriptor (at any depth below the root, so that
 * nested EntitiesDescriptors work).  entity is an expanded DOM subtree
 * that belongs to the reader's document: borrowed, valid only during the
 * call; copy what must outlive it.  Its in-scope namespaces are reachable
 * through its ancestors.  line is the line of its start tag.  Returning a
 * negative tl_code aborts the whole verification with that code (the
 * callback fills err); returning TL_OK continues.  A callback must not
 * decide the fate of the aggregate on a bad entity: it records the entity
 * as rejected and returns TL_OK.
 */
typedef int (*sigv_entity_fn)(void *ud, xmlNodePtr entity, int line, struct tl_err *err);

/*
 * Verify the aggregate in the file at path against the pinned public key
 * trust, calling fn for every EntityDescriptor as it streams by.  fn may
 * be NULL.  On TL_OK the signature is valid, the reference covers the
 * root element, and res is filled.  The verdict on the signature is only
 * known at the end: a caller that stores entities from fn must stage them
 * (e.g. in one LMDB write transaction) and commit only on TL_OK.
 *
 * Errors: TL_EPARSE (not well-formed, DOCTYPE, truncated; with line),
 * TL_ESCHEMA (root is not md:EntitiesDescriptor), TL_ESIG (no signature,
 * more than one, wrong reference, disallowed transform or algorithm,
 * digest mismatch, signature value wrong), TL_ELIMIT, TL_EIO, TL_ENOMEM.
 * res is always safe to pass to sigv_result_free().
 * The validUntil check is the caller's (it knows --allow-expired).
 */
int sigv_verify_file(const char *path, EVP_PKEY *trust, const struct sigv_opts *opts,
                     sigv_entity_fn fn, void *ud, struct sigv_result *res,
                     struct tl_err *err);

/* Free what sigv_verify_file() allocated in res and zero it. */
void sigv_result_free(struct sigv_result *res);

/*
 * Load the public key of a PEM certificate (or a PEM public key) at path.
 * Returns a new EVP_PKEY (EVP_PKEY_free it) or NULL with err set
 * (TL_ENOENT, TL_ECRYPTO naming the file).
 */
EVP_PKEY *sigv_load_trust(const char *path, struct tl_err *err);

#endif
