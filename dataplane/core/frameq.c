/* Chunks are used round-robin: the producer fills chunk number `published`
 * (mod FQ_CHUNKS) once the consumer has released the chunk that last used
 * that place, the consumer reads them in the same order. Small chunks keep
 * the copied bytes in the shared cache until the consumer reads them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "frameq.h"

#define FQ_CHUNKS 8
#define FQ_DATA (512u << 10)      /* more than libpcap's largest frame */
#define FQ_FRAMES 2048

struct fq_frame {
	uint32_t off, caplen, wire_len;
	int32_t linktype;
	uint64_t ts_ns;
};

struct fq_chunk {
	uint32_t n, used;
	struct fq_frame f[FQ_FRAMES];
	uint8_t data[FQ_DATA];
};

struct weir_frameq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t published, taken, released;   /* chunk counts; under mu */
	int closed;
	struct fq_chunk *fill;                 /* producer's */
	struct fq_chunk *read;                 /* consumer's, NULL between chunks */
	uint32_t rpos;
	struct fq_chunk *chunk[FQ_CHUNKS];
};

struct weir_frameq *weir_frameq_create(void)
{
	struct weir_frameq *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	for (int i = 0; i < FQ_CHUNKS; i++) {
		q->chunk[i] = malloc(sizeof(struct fq_chunk));
		if (!q->chunk[i]) {
			weir_frameq_free(q);
			return NULL;
		}
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->fill = q->chunk[0];
	q->fill->n = q->fill->used = 0;
	return q;
}

void weir_frameq_free(struct weir_frameq *q)
{
	if (!q)
		return;
	if (q->chunk[FQ_CHUNKS - 1]) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
	}
	for (int i = 0; i < FQ_CHUNKS; i++)
		free(q->chunk[i]);
	free(q);
}

/* Hand the chunk being filled over and wait for the next place to be free. */
static void publish(struct weir_frameq *q)
{
	pthread_mutex_lock(&q->mu);
	q->published++;
	pthread_cond_broadcast(&q->cv);
	while (q->published - q->released >= FQ_CHUNKS)
		pthread_cond_wait(&q->cv, &q->mu);
	pthread_mutex_unlock(&q->mu);
	q->fill = q->chunk[q->published % FQ_CHUNKS];
	q->fill->n = q->fill->used = 0;
}

void weir_frameq_push(struct weir_frameq *q, int linktype, const struct weir_frame *fr)
{
	uint32_t len = fr->caplen < FQ_DATA ? fr->caplen : FQ_DATA;
	struct fq_chunk *c = q->fill;

	if (c->n == FQ_FRAMES || c->used + len > FQ_DATA) {
		publish(q);
		c = q->fill;
	}
	struct fq_frame *f = &c->f[c->n++];
	f->off = c->used;
	f->caplen = len;
	f->wire_len = fr->wire_len;
	f->linktype = linktype;
	f->ts_ns = fr->ts_ns;
	memcpy(c->data + c->used, fr->data, len);
	/* Next frame on a fresh cache line: copies stay line-aligned. */
	c->used += (len + 63) & ~63u;
	if (c->used > FQ_DATA)
		c->used = FQ_DATA;
}

void weir_frameq_close(struct weir_frameq *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->fill->n)
		q->published++;
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* The next full chunk, or NULL at the end. Releases the one just read. */
static struct fq_chunk *next_chunk(struct weir_frameq *q)
{
	struct fq_chunk *c = NULL;

	pthread_mutex_lock(&q->mu);
	if (q->read) {
		q->released++;
		pthread_cond_broadcast(&q->cv);
	}
	while (q->taken == q->published && !q->closed)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->taken < q->published)
		c = q->chunk[q->taken++ % FQ_CHUNKS];
	pthread_mutex_unlock(&q->mu);
	q->read = c;
	q->rpos = 0;
	return c;
}

unsigned weir_frameq_pop(struct weir_frameq *q, struct weir_frame_ref *out,
			 int *linktype, unsigned max)
{
	struct fq_chunk *c = q->read;
	unsigned k = 0;

	while (!c || q->rpos == c->n) {
		c = next_chunk(q);
		if (!c)
			return 0;
	}
	*linktype = c->f[q->rpos].linktype;
	while (k < max && q->rpos < c->n && c->f[q->rpos].linktype == *linktype) {
		const struct fq_frame *f = &c->f[q->rpos++];
		out[k].data = c->data + f->off;
		out[k].caplen = f->caplen;
		out[k].wire_len = f->wire_len;
		out[k].ts_ns = f->ts_ns;
		k++;
	}
	return k;
}
