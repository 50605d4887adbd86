/* fetch_global.c — libcurl's process-wide state: curl_global_init, the
 * CURLSH that every easy handle joins, and which CA certificates to trust.
 *
 * The CURLSH shares the DNS cache and TLS sessions between the threads'
 * multi handles, under `share_mu` (curl's lock callbacks); connections are
 * never shared (fetch.c).
 *
 * Trust: --cacert's file as CURLOPT_CAINFO, with libcurl's default CA
 * directory, if it has one, still trusted ("extra" certificates); without
 * --cacert, libcurl's default CA bundle alone when that file exists.
 * libcurl keeps a CA store it has built for reuse in a multi handle only
 * when no CA directory is set, and Debian's libcurl sets both a bundle and
 * a directory by default: each new TLS connection then parsed the bundle's
 * ~145 certificates again (15-20 ms of CPU here). The bundle holds the
 * directory's certificates (update-ca-certificates writes both).
 */
#include "fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <unistd.h>

#include "fetch_int.h"

static CURLSH *share;
static pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
static int bundle_alone;  /* the default CA bundle is there: no CA dir */

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
	(void)h; (void)a; (void)u;
	pthread_mutex_lock(&share_mu[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *u)
{
	(void)h; (void)u;
	pthread_mutex_unlock(&share_mu[d]);
}

int fetch_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		return -1;
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	bundle_alone = v->age >= CURLVERSION_SEVENTH && v->cainfo &&
		       v->capath && access(v->cainfo, R_OK) == 0;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_mu[i], NULL);
	share = curl_share_init();
	if (share) {
		curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
		curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
		curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		curl_share_setopt(share, CURLSHOPT_SHARE,
				  CURL_LOCK_DATA_SSL_SESSION);
	}
	return 0;
}

void fetch_global_cleanup(void)
{
	if (share)
		curl_share_cleanup(share);
	share = NULL;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&share_mu[i]);
	curl_global_cleanup();
}

void fetch_easy_global(void *easy, const char *cacert)
{
	CURL *e = easy;
	if (cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, cacert);
	else if (bundle_alone)  /* its store built once per multi handle */
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	if (share)
		curl_easy_setopt(e, CURLOPT_SHARE, share);
}
