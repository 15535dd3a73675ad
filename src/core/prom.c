/*
 * The /metrics text (see prom.h). Each family is written whole, its
 * # HELP and # TYPE first and then every sample of it, service after
 * service, as the format wants a family's samples together. A family
 * whose source has no value (no sample of the host yet, no health check,
 * no exit) keeps its HELP and TYPE and has no sample, rather than a made
 * up one. Pure.
 */
#include "prodd/prom.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const prom_reasons[PROM_NREASONS] = {
	"exit", "signal", "unhealthy", "memory_limit", "watchdog",
	"start_timeout",
};

const char *
prom_reason_name(enum prom_reason r)
{
	return (unsigned)r < PROM_NREASONS ? prom_reasons[r] : "exit";
}

enum prom_reason
prom_restart_reason(enum fsm_event ev, enum fsm_state from, int exit_signal,
    enum fsm_event cause)
{
	if (ev == FSM_EV_EXIT && from == FSM_STOPPING) {
		if (cause == FSM_EV_UNHEALTHY)
			return PROM_REASON_UNHEALTHY;
		if (cause == FSM_EV_LIMIT)
			return PROM_REASON_MEMORY_LIMIT;
		if (cause == FSM_EV_WATCHDOG)
			return PROM_REASON_WATCHDOG;
		if (cause == FSM_EV_START_TIMEOUT)
			return PROM_REASON_START_TIMEOUT;
	}
	if (ev == FSM_EV_EXIT && exit_signal != 0)
		return PROM_REASON_SIGNAL;
	return PROM_REASON_EXIT;
}

void
prom_label_value(struct strbuf *sb, const char *s)
{
	for (;;) {
		size_t n = strcspn(s, "\\\"\n");	/* a run to copy as it is */

		sb_append(sb, s, n);
		s += n;
		if (*s == '\0')
			return;
		sb_append(sb, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" :
		    "\\n", 2);
		s++;
	}
}

/* v as prom_value writes it, into b (32 bytes are enough). */
static void
prom_fmt(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "NaN");
	else if (isinf(v))
		snprintf(b, n, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == 0)		/* and -0 */
		snprintf(b, n, "0");
	else if (v == floor(v) && fabs(v) < 1e15) {
		/* an integer, by hand: most samples are, and printf's %.0f
		 * costs more than all the rest of a sample */
		char t[24], *q = t + sizeof t;
		uint64_t u = (uint64_t)fabs(v);

		*--q = '\0';
		do
			*--q = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (v < 0)
			*--q = '-';
		snprintf(b, n, "%s", q);
	}
	else {
		snprintf(b, n, "%.15g", v);
		if (strtod(b, NULL) != v)
			snprintf(b, n, "%.17g", v);
	}
}

void
prom_value(struct strbuf *sb, double v)
{
	char b[40];

	prom_fmt(b, sizeof b, v);
	sb_puts(sb, b);
}

/* ------------------------------------------------------------------ */
/* the pieces of a family */

static void
prom_family(struct strbuf *sb, const char *name, const char *type,
    const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{service="S"[,key="val"]} v */
static void
prom_svc_sample(struct strbuf *sb, const char *name, const char *service,
    const char *key, const char *val, double v)
{
	sb_puts(sb, name);
	sb_puts(sb, "{service=\"");
	prom_label_value(sb, service);
	sb_putc(sb, '"');
	if (key != NULL) {
		sb_putc(sb, ',');
		sb_puts(sb, key);
		sb_puts(sb, "=\"");
		prom_label_value(sb, val);
		sb_putc(sb, '"');
	}
	sb_puts(sb, "} ");
	prom_value(sb, v);
	sb_putc(sb, '\n');
}

/* name[{key="val"}] v */
static void
prom_sample(struct strbuf *sb, const char *name, const char *key,
    const char *val, double v)
{
	sb_puts(sb, name);
	if (key != NULL) {
		sb_putc(sb, '{');
		sb_puts(sb, key);
		sb_puts(sb, "=\"");
		prom_label_value(sb, val);
		sb_puts(sb, "\"}");
	}
	sb_putc(sb, ' ');
	prom_value(sb, v);
	sb_putc(sb, '\n');
}

/* A family with one unlabelled sample. */
static void
prom_one(struct strbuf *sb, const char *name, const char *type,
    const char *help, double v)
{
	prom_family(sb, name, type, help);
	prom_sample(sb, name, NULL, NULL, v);
}

/* ------------------------------------------------------------------ */
/* services */

/* Which figure of a service a family shows. */
enum prom_svc_field {
	PSF_UP, PSF_READY, PSF_START, PSF_CPU, PSF_RSS, PSF_MEM_LIMIT, PSF_PROCS,
	PSF_THREADS, PSF_FDS, PSF_IO_READ, PSF_IO_WRITE, PSF_EXIT_CODE,
	PSF_EXIT_SIGNAL, PSF_HC_FAILURES,
};

struct prom_svc_family {
	const char *name, *type, *help;
	enum prom_svc_field field;
};

static const struct prom_svc_family prom_svc_families[] = {
	{ "prodd_service_up", "gauge", "1 while the service has a live main "
	    "process, else 0.", PSF_UP },
	{ "prodd_service_ready", "gauge", "1 while the service is in state "
	    "running (ready, and healthy if it has a check), else 0.",
	    PSF_READY },
	{ "prodd_service_start_time_seconds", "gauge", "When the service's "
	    "last process was spawned, in seconds since the epoch.",
	    PSF_START },
	{ "prodd_service_last_exit_code", "gauge", "The exit code of the "
	    "service's last process; 128+N after death by signal N.",
	    PSF_EXIT_CODE },
	{ "prodd_service_last_exit_signal", "gauge", "The signal that ended "
	    "the service's last process; 0 when it exited.",
	    PSF_EXIT_SIGNAL },
	{ "prodd_service_cpu_seconds_total", "counter", "CPU time used by the "
	    "service's process tree, user and system, summed over its "
	    "processes and restarts.", PSF_CPU },
	{ "prodd_service_memory_rss_bytes", "gauge", "Resident memory of the "
	    "service's process tree; 0 without a live process.", PSF_RSS },
	{ "prodd_service_memory_limit_bytes", "gauge", "The service's "
	    "memory_limit; only for a service that has one.", PSF_MEM_LIMIT },
	{ "prodd_service_processes", "gauge", "Processes in the service's "
	    "tree; 0 without a live process.", PSF_PROCS },
	{ "prodd_service_threads", "gauge", "Threads in the service's tree; "
	    "0 without a live process.", PSF_THREADS },
	{ "prodd_service_open_fds", "gauge", "Open file descriptors in the "
	    "service's tree (counted once in 20 samples per process).",
	    PSF_FDS },
	{ "prodd_service_io_read_bytes_total", "counter", "Bytes the "
	    "service's processes read from storage, summed over its processes "
	    "and restarts.", PSF_IO_READ },
	{ "prodd_service_io_write_bytes_total", "counter", "Bytes the "
	    "service's processes wrote to storage, summed over its processes "
	    "and restarts.", PSF_IO_WRITE },
};

/* The value of field for s; false when s has none (no sample). */
static bool
prom_svc_value(const struct prom_service *s, enum prom_svc_field f,
    double *v)
{
	const struct metrics_svc *m = s->m;

	switch (f) {
	case PSF_UP:
		*v = s->up;
		return true;
	case PSF_READY:
		*v = s->state == FSM_RUNNING;
		return true;
	case PSF_START:
		*v = (double)s->started_ms / 1000.0;
		return s->started_ms > 0;
	case PSF_EXIT_CODE:
		*v = s->exit_signal > 0 ? 128 + s->exit_signal : s->exit_code;
		return s->has_exit;
	case PSF_EXIT_SIGNAL:
		*v = s->exit_signal;
		return s->has_exit;
	case PSF_CPU:
		*v = m->cpu_seconds_total;
		return true;
	case PSF_RSS:
		*v = m->valid ? (double)m->rss : 0;
		return true;
	case PSF_MEM_LIMIT:
		*v = (double)s->memory_limit;
		return s->memory_limit > 0;
	case PSF_PROCS:
		*v = m->valid ? m->procs : 0;
		return true;
	case PSF_THREADS:
		*v = m->valid ? m->threads : 0;
		return true;
	case PSF_FDS:
		*v = m->fds;
		return m->valid && m->fds >= 0;
	case PSF_IO_READ:
		*v = (double)m->io_read_total;
		return true;
	case PSF_IO_WRITE:
		*v = (double)m->io_write_total;
		return true;
	case PSF_HC_FAILURES:
		*v = s->health != NULL ? (double)s->health->failures_total : 0;
		return s->health != NULL;
	}
	return false;
}

static void
prom_svc_family(struct strbuf *sb, const struct prom_model *pm,
    const char *name, const char *type, const char *help,
    enum prom_svc_field f)
{
	double v;

	prom_family(sb, name, type, help);
	for (size_t i = 0; i < pm->nsvcs; i++)
		if (prom_svc_value(&pm->svcs[i], f, &v))
			prom_svc_sample(sb, name, pm->svcs[i].name, NULL, NULL,
			    v);
}

static void
prom_services(struct strbuf *sb, const struct prom_model *pm)
{
	const char *name;

	for (size_t k = 0; k < sizeof prom_svc_families /
	    sizeof *prom_svc_families; k++) {
		const struct prom_svc_family *f = &prom_svc_families[k];

		prom_svc_family(sb, pm, f->name, f->type, f->help, f->field);
		if (f->field != PSF_READY)
			continue;
		/* the state set and the restarts follow up and ready */
		name = "prodd_service_state";
		prom_family(sb, name, "gauge", "The service's lifecycle state, "
		    "as a state set: 1 on the current state, 0 on the others.");
		for (size_t i = 0; i < pm->nsvcs; i++)
			for (int st = 0; st < FSM_NSTATES; st++)
				prom_svc_sample(sb, name, pm->svcs[i].name,
				    "state", fsm_state_name((enum fsm_state)st),
				    pm->svcs[i].state == (enum fsm_state)st);
		name = "prodd_service_restarts_total";
		prom_family(sb, name, "counter", "Automatic restarts of the "
		    "service since prodd started, by reason.");
		for (size_t i = 0; i < pm->nsvcs; i++)
			for (int r = 0; r < PROM_NREASONS; r++)
				prom_svc_sample(sb, name, pm->svcs[i].name,
				    "reason", prom_reasons[r],
				    (double)pm->svcs[i].restarts[r]);
	}
	name = "prodd_service_notify_dropped_total";
	prom_family(sb, name, "counter", "Datagrams on a notify: true "
	    "service's NOTIFY_SOCKET that were dropped: sent by a process "
	    "outside the service, or refused.");
	for (size_t i = 0; i < pm->nsvcs; i++)
		if (pm->svcs[i].notify)
			prom_svc_sample(sb, name, pm->svcs[i].name, NULL, NULL,
			    (double)pm->svcs[i].notify_dropped);
}

/* The check-latency histogram, cumulative, and the failures. */
static void
prom_health(struct strbuf *sb, const struct prom_model *pm)
{
	const char *name = "prodd_health_check_duration_seconds";

	prom_family(sb, name, "histogram", "How long the service's health "
	    "checks took.");
	for (size_t i = 0; i < pm->nsvcs; i++) {
		const struct health_state *h = pm->svcs[i].health;
		const char *svc = pm->svcs[i].name;
		uint64_t cum = 0;
		char le[32];

		if (h == NULL)
			continue;
		for (size_t b = 0; b < HEALTH_NBUCKETS; b++) {
			cum += h->lat_bucket[b];
			prom_fmt(le, sizeof le, health_bucket_le[b]);
			prom_svc_sample(sb, "prodd_health_check_duration_seconds"
			    "_bucket", svc, "le", le, (double)cum);
		}
		prom_svc_sample(sb, "prodd_health_check_duration_seconds_bucket",
		    svc, "le", "+Inf", (double)h->checks);
		prom_svc_sample(sb, "prodd_health_check_duration_seconds_sum",
		    svc, NULL, NULL, h->lat_sum_s);
		prom_svc_sample(sb, "prodd_health_check_duration_seconds_count",
		    svc, NULL, NULL, (double)h->checks);
	}
	prom_svc_family(sb, pm, "prodd_health_check_failures_total",
	    "counter", "Health checks of the service that failed.",
	    PSF_HC_FAILURES);
}

/* ------------------------------------------------------------------ */
/* the host */

/* A family of the host with one sample (none before the first). */
static void
prom_host_one(struct strbuf *sb, const struct metrics_host *h,
    const char *name, const char *help, double v)
{
	prom_family(sb, name, "gauge", help);
	if (h != NULL)
		prom_sample(sb, name, NULL, NULL, v);
}

static void
prom_system(struct strbuf *sb, const struct metrics_host *h)
{
	static const char *const disk_names[3] = {
		"prodd_system_disk_size_bytes",
		"prodd_system_disk_used_bytes",
		"prodd_system_disk_available_bytes",
	};
	static const char *const disk_helps[3] = {
		"Size of the filesystem of each daemon.disks mount.",
		"Bytes used on the filesystem of each daemon.disks mount.",
		("Bytes available to unprivileged users on each daemon.disks "
		    "mount."),
	};
	const char *name = "prodd_system_cpu_core_usage_ratio";
	char cpu[16];

	prom_host_one(sb, h, "prodd_system_cpu_usage_ratio", "Busy share "
	    "of all the host's cores over the last sample, 0 to 1.",
	    h ? h->cpu_percent / 100.0 : 0);
	prom_family(sb, name, "gauge", "Busy share of each core over the last "
	    "sample, 0 to 1.");
	for (size_t i = 0; h != NULL && i < h->ncpus &&
	    i < METRICS_MAX_CPUS; i++) {
		snprintf(cpu, sizeof cpu, "%zu", i);
		prom_sample(sb, name, "cpu", cpu, h->cpus[i] / 100.0);
	}
	prom_host_one(sb, h, "prodd_system_load1", "The host's load average "
	    "over 1 minute.", h ? h->load1 : 0);
	prom_host_one(sb, h, "prodd_system_load5", "The host's load average "
	    "over 5 minutes.", h ? h->load5 : 0);
	prom_host_one(sb, h, "prodd_system_load15", "The host's load average "
	    "over 15 minutes.", h ? h->load15 : 0);
	prom_host_one(sb, h, "prodd_system_memory_total_bytes", "The host's "
	    "memory (MemTotal).", h ? (double)h->mem_total : 0);
	prom_host_one(sb, h, "prodd_system_memory_available_bytes", "Memory "
	    "available for new work (MemAvailable).",
	    h ? (double)h->mem_available : 0);
	prom_host_one(sb, h, "prodd_system_memory_used_bytes", "Memory in "
	    "use: total minus available.", h ? (double)h->mem_used : 0);
	prom_host_one(sb, h, "prodd_system_swap_total_bytes", "The host's "
	    "swap space.", h ? (double)h->swap_total : 0);
	prom_host_one(sb, h, "prodd_system_swap_used_bytes", "Swap space in "
	    "use.", h ? (double)h->swap_used : 0);
	for (int k = 0; k < 3; k++) {
		prom_family(sb, disk_names[k], "gauge", disk_helps[k]);
		for (size_t i = 0; h != NULL && i < h->ndisks; i++) {
			const struct metrics_disk *d = &h->disks[i];
			uint64_t v = k == 0 ? d->total : k == 1 ? d->used :
			    d->avail;

			if (d->ok)
				prom_sample(sb, disk_names[k], "mount",
				    d->path, (double)v);
		}
	}
	prom_host_one(sb, h, "prodd_system_disk_read_bytes_per_second",
	    "Bytes read from the host's disks per second, over the last "
	    "sample.", h ? h->disk_read_bps : 0);
	prom_host_one(sb, h, "prodd_system_disk_write_bytes_per_second",
	    "Bytes written to the host's disks per second, over the last "
	    "sample.", h ? h->disk_write_bps : 0);
	name = "prodd_system_network_receive_bytes_per_second";
	prom_family(sb, name, "gauge", "Bytes received per second on each "
	    "interface, over the last sample.");
	for (size_t i = 0; h != NULL && i < h->nnets; i++)
		prom_sample(sb, name, "interface", h->nets[i].name,
		    h->nets[i].rx_bps);
	name = "prodd_system_network_transmit_bytes_per_second";
	prom_family(sb, name, "gauge", "Bytes sent per second on each "
	    "interface, over the last sample.");
	for (size_t i = 0; h != NULL && i < h->nnets; i++)
		prom_sample(sb, name, "interface", h->nets[i].name,
		    h->nets[i].tx_bps);
	prom_host_one(sb, h, "prodd_system_uptime_seconds", "Time since the "
	    "host booted.", h ? h->uptime_s : 0);
}

/* ------------------------------------------------------------------ */

static void
prom_process(struct strbuf *sb, const struct prom_process *p)
{
	static const struct { const char *name, *type, *help; } f[6] = {
		{ "process_cpu_seconds_total", "counter", "Total user and "
		    "system CPU time spent in seconds." },
		{ "process_resident_memory_bytes", "gauge", "Resident memory "
		    "size in bytes." },
		{ "process_virtual_memory_bytes", "gauge", "Virtual memory size "
		    "in bytes." },
		{ "process_open_fds", "gauge", "Number of open file "
		    "descriptors." },
		{ "process_max_fds", "gauge", "Maximum number of open file "
		    "descriptors." },
		{ "process_start_time_seconds", "gauge", "Start time of the "
		    "process since unix epoch in seconds." },
	};

	for (int i = 0; i < 6; i++) {
		double v = 0;
		bool has = p != NULL;

		if (p != NULL) {
			switch (i) {
			case 0: v = p->cpu_seconds; break;
			case 1: v = (double)p->rss_bytes; break;
			case 2: v = (double)p->vm_bytes; break;
			case 3: v = p->open_fds; has = p->open_fds >= 0; break;
			case 4: v = (double)p->max_fds; has = p->max_fds >= 0;
				break;
			default: v = p->start_time_s; break;
			}
		}
		prom_family(sb, f[i].name, f[i].type, f[i].help);
		if (has)
			prom_sample(sb, f[i].name, NULL, NULL, v);
	}
}

void
prom_render(const struct prom_model *pm, struct strbuf *sb)
{
	prom_family(sb, "prodd_build_info", "gauge", "prodd's version, as a "
	    "label; the value is always 1.");
	prom_sample(sb, "prodd_build_info", "version", pm->version ?
	    pm->version : "", 1);
	prom_services(sb, pm);
	prom_health(sb, pm);
	prom_system(sb, pm->host);
	prom_one(sb, "prodd_alerts_firing", "gauge", "Alerts firing now.",
	    (double)pm->alerts_firing);
	prom_family(sb, "prodd_alert_notifications_total", "counter",
	    "Alert notifications sent, by channel and result.");
	for (size_t i = 0; i < pm->nnotifs; i++) {
		sb_puts(sb, "prodd_alert_notifications_total{channel=\"");
		prom_label_value(sb, pm->notifs[i].channel);
		sb_puts(sb, "\",result=\"");
		prom_label_value(sb, pm->notifs[i].result);
		sb_puts(sb, "\"} ");
		prom_value(sb, (double)pm->notifs[i].n);
		sb_putc(sb, '\n');
	}
	prom_one(sb, "prodd_ws_clients", "gauge", "WebSocket clients "
	    "connected to /ws.", (double)pm->ws_clients);
	prom_one(sb, "prodd_ws_messages_rendered_total", "counter",
	    "WebSocket messages rendered, once for all their clients.",
	    (double)pm->ws_rendered);
	prom_one(sb, "prodd_ws_frames_sent_total", "counter", "WebSocket "
	    "frames written to clients.", (double)pm->ws_frames);
	prom_one(sb, "prodd_ws_queued_bytes", "gauge", "Bytes of messages "
	    "waiting to be written to /ws clients, summed over the clients.",
	    (double)pm->ws_queued);
	prom_one(sb, "prodd_log_ring_bytes", "gauge", "Memory held by the "
	    "services' in-memory rings of recent output lines (each bounded "
	    "by its log.ring).", (double)pm->log_ring_bytes);
	prom_process(sb, pm->self);
}
