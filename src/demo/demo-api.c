/*
 * The endpoints of prodd-demo: health (whose answer the fault flags bend),
 * the role's work endpoint, and the bookkeeping behind them. Search and RAG
 * rank a small built-in corpus about AI platform topics by TF-IDF cosine
 * similarity, so results look plausible and scores stay within [0,1]; the
 * analytics role reports on the requests this process served. All state is
 * bounded (a ring of the last 1024 latencies, a 64-entry term counter) so a
 * long-running demo does not grow unless it is told to leak.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

#define DEMO_TERM_MAX 32		/* bytes per term, NUL included */
#define DEMO_QUERY_TERMS 256		/* longer queries are truncated */
#define DEMO_VOCAB_MAX 2048
#define DEMO_DOC_TERMS 128
#define DEMO_K_DEFAULT 5
#define DEMO_K_MAX 20
#define DEMO_RAG_SOURCES 3
#define DEMO_RING 1024
#define DEMO_WINDOW_S 60
#define DEMO_TOPTERMS 64
#define DEMO_TOPTERMS_SHOWN 5

struct demo_doc {
	const char *id;
	const char *title;
	const char *text;
};

static const struct demo_doc demo_corpus[] = {
	{ "doc-1", "Vector search with HNSW",
	  "HNSW graphs give approximate nearest neighbour vector search with high recall and millisecond latency. Tune ef_search to trade recall for speed on large embedding indexes." },
	{ "doc-2", "Choosing an embedding model",
	  "Embeddings map text into dense vectors so that similar meaning lands close together. Pick the embedding dimension and model by measuring retrieval quality on your own queries." },
	{ "doc-3", "Retrieval-augmented generation",
	  "RAG retrieves relevant documents and passes them to the language model as context so answers cite real sources. Good chunking and reranking matter more than a bigger model." },
	{ "doc-4", "GPU scheduling for inference",
	  "GPU memory is the scarce resource when serving models, so pack replicas by memory and not by count. Use MIG or time slicing to share one GPU between small inference services." },
	{ "doc-5", "Observability for AI services",
	  "Observability means metrics, logs and traces for every request, including token counts and model latency. Alert on p95 latency and error rate rather than on CPU usage alone." },
	{ "doc-6", "Dynamic batching in model serving",
	  "Dynamic batching groups concurrent inference requests to keep the GPU busy and raise throughput. A small batching window adds a few milliseconds of latency for large throughput gains." },
	{ "doc-7", "Quantization",
	  "Quantization stores model weights in int8 or int4 to cut GPU memory and speed up inference. Always check accuracy on an evaluation set after quantizing a model." },
	{ "doc-8", "Feature stores",
	  "A feature store serves the same features to training and online inference so models see consistent data. It keeps point-in-time correct history to avoid leakage during training." },
	{ "doc-9", "KV cache and prompt caching",
	  "The KV cache keeps attention keys and values so long prompts are not recomputed for every token. Prompt caching reuses shared prefixes across requests to cut latency and GPU cost." },
	{ "doc-10", "Fine-tuning with LoRA",
	  "LoRA fine-tuning trains small low-rank adapters instead of all model weights, so one GPU is often enough. Adapters can be swapped per tenant at inference time." },
	{ "doc-11", "Evaluating retrieval and answers",
	  "Evaluation needs a fixed set of queries with known relevant documents to measure recall and answer quality. Track evaluation scores in CI so a new embedding model or prompt cannot silently regress." },
	{ "doc-12", "Document ingestion and chunking",
	  "Ingestion pipelines split documents into overlapping chunks before computing embeddings. Chunk size decides whether retrieval returns precise passages or vague pages." },
	{ "doc-13", "Hybrid search",
	  "Hybrid search combines BM25 keyword scores with vector similarity so exact terms and meaning both count. Reciprocal rank fusion is a simple way to merge the two result lists." },
	{ "doc-14", "Rerankers",
	  "A cross-encoder reranker rescores the top retrieved documents against the query for much better precision. Rerank only the top fifty candidates because cross-encoders are slow." },
	{ "doc-15", "Autoscaling inference services",
	  "Autoscaling inference on queue depth or GPU utilization reacts faster than scaling on CPU. Keep a warm replica because loading model weights can take minutes." },
	{ "doc-16", "Guardrails and safety filters",
	  "Guardrails check prompts and answers for unsafe content, leaked secrets and prompt injection. Run cheap filters first and log every blocked request for review." },
	{ "doc-17", "Tokenization",
	  "Tokenizers split text into subword tokens and every model has its own vocabulary. Count tokens, not characters, when you budget context windows and cost." },
	{ "doc-18", "Health checks and supervision",
	  "A supervisor restarts crashed services, runs health checks and backs off when a service keeps failing. Health endpoints should be cheap and must not depend on slow downstream services." },
	{ "doc-19", "Structured logging",
	  "Structured JSON logs with request ids make it possible to follow one query across search, RAG and model services. Rotate log files and cap their size so a chatty service cannot fill the disk." },
	{ "doc-20", "Capacity planning and cost",
	  "Capacity planning for AI services starts from tokens per second per GPU and the expected peak query rate. Memory leaks and idle GPUs are the most common sources of wasted cost." },
	{ "doc-21", "Vector database operations",
	  "A vector database needs backups, index rebuilds and monitoring of recall just like any other database. Sharding by tenant keeps vector search latency predictable as data grows." },
};

#define DEMO_NDOCS (sizeof(demo_corpus) / sizeof(demo_corpus[0]))

struct demo_posting {
	int term;
	int tf;
};

struct demo_doc_index {
	struct demo_posting post[DEMO_DOC_TERMS];
	int npost;
	double norm;
	size_t snippet_len;	/* first sentence of text */
};

static char demo_vocab[DEMO_VOCAB_MAX][DEMO_TERM_MAX];
static int demo_df[DEMO_VOCAB_MAX];
static int demo_nvocab;
static struct demo_doc_index demo_index[DEMO_NDOCS];

struct demo_sample {
	uint64_t t_ms;
	double latency_ms;
};

static struct demo_sample demo_ring[DEMO_RING];
static size_t demo_ring_next;
static size_t demo_ring_count;

struct demo_termcount {
	char term[DEMO_TERM_MAX];
	uint64_t count;
};

static struct demo_termcount demo_terms[DEMO_TOPTERMS];
static int demo_nterms;

static uint64_t demo_requests_total;
static uint64_t demo_work_total;
static uint64_t demo_events_total;

static const char *const demo_stopwords[] = {
	"a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does",
	"for", "from", "how", "in", "into", "is", "it", "its", "not", "of",
	"on", "one", "or", "so", "than", "that", "the", "their", "this", "to",
	"we", "what", "when", "which", "why", "with", "you", "your", "all",
	"any", "just", "like", "more", "much", "must", "own", "per", "same",
};

static int
demo_is_stopword(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(demo_stopwords) / sizeof(demo_stopwords[0]); i++)
		if (strcmp(w, demo_stopwords[i]) == 0)
			return 1;
	return 0;
}

/*
 * Splits text into lowercase ASCII alphanumeric terms with a crude plural
 * stemmer, so "GPUs" and "gpu" meet. Bytes outside ASCII separate terms.
 */
static size_t
demo_tokenize(const char *s, size_t n, char (*out)[DEMO_TERM_MAX], size_t max)
{
	size_t i = 0, count = 0;

	while (i < n && count < max) {
		char w[DEMO_TERM_MAX];
		size_t len = 0, wl;

		while (i < n && !isalnum((unsigned char)s[i]))
			i++;
		while (i < n && isalnum((unsigned char)s[i])) {
			if (len < DEMO_TERM_MAX - 1)
				w[len] = (char)tolower((unsigned char)s[i]);
			len++;
			i++;
		}
		if (len == 0 || len >= DEMO_TERM_MAX)
			continue;
		w[len] = '\0';
		wl = len;
		if (wl > 3 && w[wl - 1] == 's' && w[wl - 2] != 's' && w[wl - 2] != 'u')
			w[--wl] = '\0';
		if (demo_is_stopword(w))
			continue;
		memcpy(out[count++], w, wl + 1);
	}
	return count;
}

static int
demo_vocab_find(const char *term)
{
	int i;

	for (i = 0; i < demo_nvocab; i++)
		if (strcmp(demo_vocab[i], term) == 0)
			return i;
	return -1;
}

static double
demo_idf(int df)
{
	return log((double)(DEMO_NDOCS + 1) / (double)(df + 1)) + 1.0;
}

static double
demo_tf_weight(int tf)
{
	return 1.0 + log((double)tf);
}

void
demo_api_init(void)
{
	static char toks[512][DEMO_TERM_MAX];
	size_t d, i;
	int p;

	for (d = 0; d < DEMO_NDOCS; d++) {
		const struct demo_doc *doc = &demo_corpus[d];
		struct demo_doc_index *ix = &demo_index[d];
		const char *dot;
		size_t nt;

		/* The title is counted twice: it says what the document is about. */
		nt = demo_tokenize(doc->title, strlen(doc->title), toks, 512);
		nt += demo_tokenize(doc->title, strlen(doc->title), toks + nt, 512 - nt);
		nt += demo_tokenize(doc->text, strlen(doc->text), toks + nt, 512 - nt);
		for (i = 0; i < nt; i++) {
			int t = demo_vocab_find(toks[i]);

			if (t < 0) {
				if (demo_nvocab >= DEMO_VOCAB_MAX)
					continue;
				t = demo_nvocab++;
				memcpy(demo_vocab[t], toks[i], DEMO_TERM_MAX);
			}
			for (p = 0; p < ix->npost; p++)
				if (ix->post[p].term == t)
					break;
			if (p < ix->npost) {
				ix->post[p].tf++;
			} else if (ix->npost < DEMO_DOC_TERMS) {
				ix->post[ix->npost].term = t;
				ix->post[ix->npost].tf = 1;
				ix->npost++;
				demo_df[t]++;
			}
		}
		dot = strstr(doc->text, ". ");
		ix->snippet_len = dot ? (size_t)(dot - doc->text) + 1 : strlen(doc->text);
	}
	for (d = 0; d < DEMO_NDOCS; d++) {
		struct demo_doc_index *ix = &demo_index[d];
		double sum = 0;

		for (p = 0; p < ix->npost; p++) {
			double w = demo_tf_weight(ix->post[p].tf) * demo_idf(demo_df[ix->post[p].term]);

			sum += w * w;
		}
		ix->norm = sqrt(sum);
	}
}

struct demo_hit {
	size_t doc;
	double score;
};

static int
demo_hit_cmp(const void *a, const void *b)
{
	const struct demo_hit *x = a, *y = b;

	if (x->score > y->score)
		return -1;
	if (x->score < y->score)
		return 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* Ranks the corpus against q; returns the number of hits with score > 0. */
static size_t
demo_rank(const char *q, size_t qlen, struct demo_hit *hits)
{
	static char toks[DEMO_QUERY_TERMS][DEMO_TERM_MAX];
	size_t qfirst[DEMO_QUERY_TERMS];
	int qterm[DEMO_QUERY_TERMS];
	int qtf[DEMO_QUERY_TERMS];
	double qw[DEMO_QUERY_TERMS];
	size_t nt, nq = 0, i, j, d, nhits = 0;
	double qnorm = 0;

	nt = demo_tokenize(q, qlen, toks, DEMO_QUERY_TERMS);
	for (i = 0; i < nt; i++) {
		for (j = 0; j < nq; j++)
			if (strcmp(toks[qfirst[j]], toks[i]) == 0)
				break;
		if (j < nq) {
			qtf[j]++;
			continue;
		}
		qfirst[nq] = i;
		qterm[nq] = demo_vocab_find(toks[i]);
		qtf[nq] = 1;
		nq++;
	}
	for (i = 0; i < nq; i++) {
		/* Unknown terms still count in the query norm: they are unmatched. */
		qw[i] = demo_tf_weight(qtf[i]) * demo_idf(qterm[i] >= 0 ? demo_df[qterm[i]] : 0);
		qnorm += qw[i] * qw[i];
	}
	qnorm = sqrt(qnorm);
	for (d = 0; d < DEMO_NDOCS; d++) {
		const struct demo_doc_index *ix = &demo_index[d];
		double dot = 0, score;
		int p;

		for (i = 0; i < nq; i++) {
			if (qterm[i] < 0)
				continue;
			for (p = 0; p < ix->npost; p++) {
				if (ix->post[p].term == qterm[i]) {
					dot += qw[i] * demo_tf_weight(ix->post[p].tf) *
					       demo_idf(demo_df[qterm[i]]);
					break;
				}
			}
		}
		if (dot <= 0 || qnorm <= 0 || ix->norm <= 0)
			continue;
		score = dot / (qnorm * ix->norm);
		if (score > 1)
			score = 1;
		hits[nhits].doc = d;
		hits[nhits].score = score;
		nhits++;
	}
	qsort(hits, nhits, sizeof(hits[0]), demo_hit_cmp);
	return nhits;
}

static int
demo_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Form decoding: '+' is a space, %XX a byte; a broken escape stays literal. */
static void
demo_urldecode(const char *s, size_t n, struct strbuf *out)
{
	size_t i;

	sb_reset(out);
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+') {
			sb_putc(out, ' ');
		} else if (s[i] == '%' && i + 2 < n && (hi = demo_hexval(s[i + 1])) >= 0 &&
			   (lo = demo_hexval(s[i + 2])) >= 0) {
			sb_putc(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			sb_putc(out, s[i]);
		}
	}
}

/* Decoded value of the first `key` parameter into out; 1 if present. */
static int
demo_query_get(const char *query, const char *key, struct strbuf *out)
{
	struct strbuf k = { 0 };
	const char *p = query;
	int found = 0;

	while (*p) {
		size_t plen = strcspn(p, "&");
		const char *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;

		demo_urldecode(p, klen, &k);
		if (k.len == strlen(key) && memcmp(k.buf, key, k.len) == 0) {
			if (eq)
				demo_urldecode(eq + 1, plen - klen - 1, out);
			else
				demo_urldecode("", 0, out);
			found = 1;
			break;
		}
		p += plen;
		if (*p == '&')
			p++;
	}
	sb_free(&k);
	return found;
}

/* Space-saving counter: a new term evicts the rarest and inherits its count. */
static void
demo_count_terms(const char *q, size_t qlen)
{
	static char toks[DEMO_QUERY_TERMS][DEMO_TERM_MAX];
	size_t nt, i;
	int t, min;

	nt = demo_tokenize(q, qlen, toks, DEMO_QUERY_TERMS);
	for (i = 0; i < nt; i++) {
		for (t = 0; t < demo_nterms; t++)
			if (strcmp(demo_terms[t].term, toks[i]) == 0)
				break;
		if (t < demo_nterms) {
			demo_terms[t].count++;
			continue;
		}
		if (demo_nterms < DEMO_TOPTERMS) {
			t = demo_nterms++;
			memcpy(demo_terms[t].term, toks[i], DEMO_TERM_MAX);
			demo_terms[t].count = 1;
			continue;
		}
		min = 0;
		for (t = 1; t < demo_nterms; t++)
			if (demo_terms[t].count < demo_terms[min].count)
				min = t;
		memcpy(demo_terms[min].term, toks[i], DEMO_TERM_MAX);
		demo_terms[min].count++;
	}
}

static void
demo_record(uint64_t t_ms, double latency_ms)
{
	demo_ring[demo_ring_next].t_ms = t_ms;
	demo_ring[demo_ring_next].latency_ms = latency_ms;
	demo_ring_next = (demo_ring_next + 1) % DEMO_RING;
	if (demo_ring_count < DEMO_RING)
		demo_ring_count++;
}

static double
demo_took_ms(const struct demo_request *req)
{
	return (double)(uv_hrtime() - req->start_ns) / 1e6;
}

static void
demo_json_error(struct demo_response *resp, int status, const char *msg)
{
	resp->status = status;
	sb_reset(&resp->body);
	sb_puts(&resp->body, "{\"error\":");
	sb_json_str(&resp->body, msg, strlen(msg));
	sb_puts(&resp->body, "}");
}

static void
demo_doc_ref(struct strbuf *b, const struct demo_hit *h)
{
	const struct demo_doc *doc = &demo_corpus[h->doc];

	sb_puts(b, "{\"id\":");
	sb_json_str(b, doc->id, strlen(doc->id));
	sb_puts(b, ",\"title\":");
	sb_json_str(b, doc->title, strlen(doc->title));
	sb_printf(b, ",\"score\":%.4f", h->score);
}

/* Reads q; answers 400 itself and returns 0 when it is missing or empty. */
static int
demo_get_q(const struct demo_request *req, struct demo_response *resp, struct strbuf *q)
{
	if (!demo_query_get(req->query, "q", q) || q->len == 0) {
		demo_json_error(resp, 400, "missing q");
		return 0;
	}
	return 1;
}

static void
demo_handle_search(const struct demo_request *req, struct demo_response *resp)
{
	struct demo_hit hits[DEMO_NDOCS];
	struct strbuf q = { 0 }, kv = { 0 };
	size_t nhits, i;
	long k = DEMO_K_DEFAULT;

	if (!demo_get_q(req, resp, &q))
		goto out;
	if (demo_query_get(req->query, "k", &kv)) {
		char *end;

		k = kv.len ? strtol(kv.buf, &end, 10) : -1;
		if (kv.len == 0 || *end != '\0' || k < 1) {
			demo_json_error(resp, 400, "k must be a positive integer");
			goto out;
		}
		if (k > DEMO_K_MAX)
			k = DEMO_K_MAX;
	}
	nhits = demo_rank(q.buf, q.len, hits);
	if (nhits > (size_t)k)
		nhits = (size_t)k;
	resp->status = 200;
	sb_puts(&resp->body, "{\"query\":");
	sb_json_str(&resp->body, q.buf, q.len);
	sb_puts(&resp->body, ",\"results\":[");
	for (i = 0; i < nhits; i++) {
		const struct demo_doc *doc = &demo_corpus[hits[i].doc];

		if (i > 0)
			sb_putc(&resp->body, ',');
		demo_doc_ref(&resp->body, &hits[i]);
		sb_puts(&resp->body, ",\"snippet\":");
		sb_json_str(&resp->body, doc->text, demo_index[hits[i].doc].snippet_len);
		sb_putc(&resp->body, '}');
	}
	sb_printf(&resp->body, "],\"took_ms\":%.1f}", demo_took_ms(req));
out:
	sb_free(&q);
	sb_free(&kv);
}

static void
demo_handle_answer(const struct demo_request *req, struct demo_response *resp)
{
	struct demo_hit hits[DEMO_NDOCS];
	struct strbuf q = { 0 }, ans = { 0 };
	size_t nhits, i;

	if (!demo_get_q(req, resp, &q))
		goto out;
	nhits = demo_rank(q.buf, q.len, hits);
	if (nhits > DEMO_RAG_SOURCES)
		nhits = DEMO_RAG_SOURCES;
	if (nhits == 0) {
		sb_puts(&ans, "I could not find anything about that in the knowledge base.");
	} else {
		sb_puts(&ans, "According to the knowledge base:");
		for (i = 0; i < nhits; i++) {
			const char *t = demo_corpus[hits[i].doc].text;
			size_t len = demo_index[hits[i].doc].snippet_len;

			if (len > 0 && t[len - 1] == '.')
				len--;
			sb_putc(&ans, ' ');
			sb_append(&ans, t, len);
			sb_printf(&ans, " [%zu].", i + 1);
		}
	}
	resp->status = 200;
	sb_puts(&resp->body, "{\"query\":");
	sb_json_str(&resp->body, q.buf, q.len);
	sb_puts(&resp->body, ",\"answer\":");
	sb_json_str(&resp->body, ans.buf, ans.len);
	sb_puts(&resp->body, ",\"sources\":[");
	for (i = 0; i < nhits; i++) {
		if (i > 0)
			sb_putc(&resp->body, ',');
		demo_doc_ref(&resp->body, &hits[i]);
		sb_putc(&resp->body, '}');
	}
	sb_printf(&resp->body, "],\"took_ms\":%.1f}", demo_took_ms(req));
out:
	sb_free(&q);
	sb_free(&ans);
}

static int
demo_double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
demo_term_cmp(const void *a, const void *b)
{
	const struct demo_termcount *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->term, y->term);
}

static double
demo_percentile(const double *v, size_t n, double pct)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)ceil(pct / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static void
demo_handle_stats(const struct demo_request *req, struct demo_response *resp)
{
	static double lat[DEMO_RING];
	struct demo_termcount top[DEMO_TOPTERMS];
	uint64_t now = demo_now_ms();
	size_t n = 0, i;
	double span, up = demo_uptime_s();

	(void)req;
	for (i = 0; i < demo_ring_count; i++) {
		const struct demo_sample *s = &demo_ring[i];

		if (now - s->t_ms <= DEMO_WINDOW_S * 1000u)
			lat[n++] = s->latency_ms;
	}
	qsort(lat, n, sizeof(lat[0]), demo_double_cmp);
	span = up < DEMO_WINDOW_S ? up : DEMO_WINDOW_S;
	if (span < 1)
		span = 1;
	memcpy(top, demo_terms, sizeof(top[0]) * (size_t)demo_nterms);
	qsort(top, (size_t)demo_nterms, sizeof(top[0]), demo_term_cmp);
	resp->status = 200;
	sb_printf(&resp->body,
			"{\"window_s\":%d,\"requests\":%zu,\"requests_total\":%llu,"
			"\"events\":%llu,\"queries_per_s\":%.2f,"
			"\"latency_ms\":{\"p50\":%.2f,\"p95\":%.2f,\"max\":%.2f},\"top_terms\":[",
			DEMO_WINDOW_S, n, (unsigned long long)demo_work_total,
			(unsigned long long)demo_events_total, (double)n / span,
			demo_percentile(lat, n, 50), demo_percentile(lat, n, 95),
			n ? lat[n - 1] : 0.0);
	for (i = 0; i < (size_t)demo_nterms && i < DEMO_TOPTERMS_SHOWN; i++) {
		if (i > 0)
			sb_putc(&resp->body, ',');
		sb_puts(&resp->body, "{\"term\":");
		sb_json_str(&resp->body, top[i].term, strlen(top[i].term));
		sb_printf(&resp->body, ",\"count\":%llu}", (unsigned long long)top[i].count);
	}
	sb_puts(&resp->body, "]}");
}

static void
demo_handle_events(const struct demo_request *req, struct demo_response *resp)
{
	(void)req;
	demo_events_total++;
	resp->status = 202;
	sb_puts(&resp->body, "{\"accepted\":true}");
}

static void
demo_handle_health(const struct demo_request *req, struct demo_response *resp)
{
	double up = demo_uptime_s();

	(void)req;
	switch (demo_faults_health()) {
	case DEMO_HEALTH_UNHEALTHY:
		resp->status = 503;
		sb_puts(&resp->body, "{\"status\":\"unhealthy\"}");
		return;
	case DEMO_HEALTH_STARTING:
		resp->status = 503;
		sb_puts(&resp->body, "{\"status\":\"starting\"}");
		return;
	case DEMO_HEALTH_OK:
		break;
	}
	resp->status = 200;
	sb_printf(&resp->body,
			"{\"status\":\"healthy\",\"role\":\"%s\",\"pid\":%ld,"
			"\"uptime_s\":%.1f,\"requests\":%llu}",
			demo_role_name(demo_opts.role), (long)getpid(), up,
			(unsigned long long)demo_requests_total);
}

static void
demo_handle_root(const struct demo_request *req, struct demo_response *resp)
{
	static const char *const work[] = {
		[DEMO_ROLE_SEARCH] = "GET /api/search?q=TEXT&k=N ranks the built-in corpus",
		[DEMO_ROLE_RAG] = "GET /api/answer?q=TEXT answers from the top 3 documents with citations",
		[DEMO_ROLE_ANALYTICS] = "GET /api/stats reports request statistics, POST /api/events accepts events",
	};

	(void)req;
	resp->status = 200;
	resp->content_type = "text/plain; charset=utf-8";
	sb_printf(&resp->body,
			"prodd-demo %s service (demo AI worker and fault injector): "
			"GET /api/health reports health; %s.\n",
			demo_role_name(demo_opts.role), work[demo_opts.role]);
}

enum {
	DEMO_ANY_ROLE = -1,
	DEMO_ALLOW_GET = 1,	/* GET and HEAD */
	DEMO_ALLOW_POST = 2,
};

struct demo_route {
	const char *path;
	int role;
	int allow;
	int work;		/* delayed by --latency-ms and counted in stats */
	void (*handler)(const struct demo_request *, struct demo_response *);
};

static const struct demo_route demo_routes[] = {
	{ "/api/health", DEMO_ANY_ROLE, DEMO_ALLOW_GET, 0, demo_handle_health },
	{ "/", DEMO_ANY_ROLE, DEMO_ALLOW_GET, 0, demo_handle_root },
	{ "/api/search", DEMO_ROLE_SEARCH, DEMO_ALLOW_GET, 1, demo_handle_search },
	{ "/api/answer", DEMO_ROLE_RAG, DEMO_ALLOW_GET, 1, demo_handle_answer },
	{ "/api/stats", DEMO_ROLE_ANALYTICS, DEMO_ALLOW_GET, 1, demo_handle_stats },
	{ "/api/events", DEMO_ROLE_ANALYTICS, DEMO_ALLOW_POST, 1, demo_handle_events },
};

static const struct demo_route *
demo_route_find(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(demo_routes) / sizeof(demo_routes[0]); i++) {
		const struct demo_route *r = &demo_routes[i];

		if (strcmp(r->path, path) == 0 &&
		    (r->role == DEMO_ANY_ROLE || r->role == (int)demo_opts.role))
			return r;
	}
	return NULL;
}

static int
demo_route_allows(const struct demo_route *r, enum demo_method m)
{
	if (r->allow & DEMO_ALLOW_GET)
		return m == DEMO_M_GET || m == DEMO_M_HEAD;
	return m == DEMO_M_POST;
}

enum demo_plan
demo_api_plan(const struct demo_request *req)
{
	const struct demo_route *r = demo_route_find(req->path);

	demo_requests_total++;
	if (r == NULL || !demo_route_allows(r, req->method))
		return DEMO_PLAN_NOW;
	if (r->handler == demo_handle_health && demo_faults_health_hung())
		return DEMO_PLAN_HANG;
	if (r->work && demo_opts.latency_ms > 0)
		return DEMO_PLAN_DELAY;
	return DEMO_PLAN_NOW;
}

void
demo_api_respond(const struct demo_request *req, struct demo_response *resp)
{
	const struct demo_route *r = demo_route_find(req->path);
	struct strbuf q = { 0 };

	resp->content_type = "application/json";
	if (r == NULL) {
		demo_json_error(resp, 404, "not found");
	} else if (!demo_route_allows(r, req->method)) {
		demo_json_error(resp, 405, "method not allowed");
		resp->allow = (r->allow & DEMO_ALLOW_GET) ? "GET, HEAD" : "POST";
	} else {
		r->handler(req, resp);
	}
	/* Health probes are infrastructure noise; everything else is traffic. */
	if (r == NULL || r->handler != demo_handle_health) {
		demo_work_total++;
		demo_record(demo_now_ms(), demo_took_ms(req));
		if (demo_query_get(req->query, "q", &q) && q.len > 0)
			demo_count_terms(q.buf, q.len);
	}
	sb_free(&q);
}
