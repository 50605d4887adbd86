/* fetch_int.h — between fetch.c and fetch_global.c (not for other files). */
#ifndef HNBATCH_FETCH_INT_H
#define HNBATCH_FETCH_INT_H

/* Joins a new easy handle (a CURL *) to the process's CURLSH and sets
 * whom it trusts: cacert's file, or the default bundle alone (see
 * fetch_global.c). After fetch_global_init(). */
void fetch_easy_global(void *easy, const char *cacert);

#endif
