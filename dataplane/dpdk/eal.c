/* EAL start-up: hugepages when the host has them, otherwise --no-huge
 * --no-shconf (with a warning); vdevs for the configured ports; lcores for
 * the main lcore plus one per worker, wrapped onto the CPUs we may run on. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include "capture.h"
#include "weir.h"

#define MAX_ARGS 128

/* 1 when some hugepage size has free pages and hugetlbfs is mounted. */
int weir_hugepages_available(char *why, size_t len)
{
	static const char *sizes[] = { "hugepages-2048kB", "hugepages-1048576kB" };
	unsigned long free_pages = 0;
	char path[256], line[512];
	FILE *f;
	int mounted = 0;

	for (unsigned i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/free_hugepages", sizes[i]);
		f = fopen(path, "r");
		if (f) {
			unsigned long n = 0;
			if (fscanf(f, "%lu", &n) == 1)
				free_pages += n;
			fclose(f);
		}
	}
	f = fopen("/proc/mounts", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, " hugetlbfs "))
				mounted = 1;
		fclose(f);
	}
	if (!free_pages)
		snprintf(why, len, "no free hugepages in /sys/kernel/mm/hugepages (reserve some with scripts/hugepages)");
	else if (!mounted)
		snprintf(why, len, "no hugetlbfs mount in /proc/mounts (scripts/hugepages mounts one)");
	return free_pages && mounted;
}

static void add(char **args, int *argc, const char *s)
{
	if (*argc >= MAX_ARGS - 1)
		weir_die("too many EAL arguments; shorten [eal] args");
	args[(*argc)++] = strdup(s);
	args[*argc] = NULL;
}

/* Auto lcores: main lcore + workers, mapped round-robin onto the CPUs in
 * our affinity mask (more lcores than CPUs share them: fine for tests and
 * replays, documented as slow for live traffic). */
static void auto_lcores(const struct weir_conf *c, char *out, size_t len)
{
	cpu_set_t set;
	int cpus[CPU_SETSIZE], ncpu = 0;
	size_t n = 0;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				cpus[ncpu++] = i;
	if (ncpu == 0)
		cpus[ncpu++] = 0;
	out[0] = 0;
	for (unsigned l = 0; l <= c->workers; l++)
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%u@%d",
				      l ? "," : "", l, cpus[l % (unsigned)ncpu]);
	if ((unsigned)ncpu < c->workers + 1)
		weir_warn("%u workers + main lcore on %d CPUs: lcores share CPUs (%s); fine for replay, too slow for line rate",
			  c->workers, ncpu, out);
}

static int is_pci(const char *dev)
{
	unsigned a, b, d, f;
	char extra;
	return sscanf(dev, "%x:%x:%x.%x%c", &a, &b, &d, &f, &extra) == 4 ||
	       sscanf(dev, "%x:%x.%x%c", &b, &d, &f, &extra) == 3;
}

/* Our runtime directory (--file-prefix weir-<pid>), removed at exit even
 * when weir dies of a configuration error after the EAL started. */
static char runtime_dir[PATH_MAX];

static void remove_runtime_dir(void)
{
	char path[PATH_MAX + 300];
	DIR *d;
	struct dirent *e;

	if (!runtime_dir[0] || !(d = opendir(runtime_dir)))
		return;
	/* Everything in it is the EAL's for this process (config, fbarrays,
	 * telemetry and mp sockets). */
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", runtime_dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(runtime_dir);
}

/* vdev drivers of DPDK 22.11 that make ethdev ports. Checked before the
 * EAL so a typo is our one-line error, not the EAL's parser noise. */
static const char *const vdev_drivers[] = {
	"net_pcap", "net_af_packet", "net_af_xdp", "net_null", "net_ring", "net_tap",
	"net_tun", "net_vhost", "net_virtio_user", "net_memif", "net_bonding",
	"net_failsafe", "net_kni", "net_softnic", "net_vdev_netvsc", NULL,
};

static void check_vdev(const struct weir_port_conf *p)
{
	char drv[64];
	size_t n = strcspn(p->dev, ",");
	if (n >= sizeof(drv))
		n = sizeof(drv) - 1;
	memcpy(drv, p->dev, n);
	drv[n] = 0;
	while (n && drv[n - 1] >= '0' && drv[n - 1] <= '9')
		drv[--n] = 0;
	for (unsigned i = 0; vdev_drivers[i]; i++)
		if (!strcmp(drv, vdev_drivers[i]))
			return;
	weir_die("[port %s] dev = '%s': '%s' is neither a PCI address (0000:01:00.0) nor a known vdev driver "
		 "(net_pcap, net_af_packet, net_af_xdp, net_null, net_ring, net_tap, net_memif, ...)",
		 p->name, p->dev, drv);
}

/* Static: the EAL may keep pointers into its arguments for the life of
 * the process. */
static char *argv[MAX_ARGS];

void weir_eal_start(struct weir_conf *c, const char *argv0)
{
	int argc = 0;
	char buf[1024], why[256] = "";
	int any_pci = 0;
	uint64_t mbufs = 0;

	add(argv, &argc, argv0);
	if (c->lcores[0]) {
		add(argv, &argc, strchr(c->lcores, '@') || strchr(c->lcores, '(') ? "--lcores" : "-l");
		add(argv, &argc, c->lcores);
	} else {
		auto_lcores(c, buf, sizeof(buf));
		add(argv, &argc, "--lcores");
		add(argv, &argc, buf);
	}
	if (c->main_lcore >= 0) {
		snprintf(buf, sizeof(buf), "%d", c->main_lcore);
		add(argv, &argc, "--main-lcore");
		add(argv, &argc, buf);
	}
	/* Our own runtime directory: runs (and tests) never collide, and
	 * dpdk-telemetry.py finds us with -f weir-<pid>. */
	snprintf(buf, sizeof(buf), "weir-%d", (int)getpid());
	add(argv, &argc, "--file-prefix");
	add(argv, &argc, buf);
	add(argv, &argc, "--log-level=*:warning");
	/* "No legacy callbacks" is not news to anyone. */
	add(argv, &argc, "--log-level=lib.telemetry:error");

	for (unsigned i = 0; i < c->nports; i++) {
		struct weir_port_conf *p = &c->port[i];
		mbufs += p->mempool ? p->mempool : 16384;
		if (p->type == WEIR_PORT_PCAP_LIVE)
			continue;
		if (p->replay_file) {
			snprintf(p->dev, sizeof(p->dev), "net_pcap%u,rx_pcap=%s", i, p->replay_file);
		}
		if (is_pci(p->dev)) {
			any_pci = 1;
			add(argv, &argc, "-a");
		} else {
			check_vdev(p);
			add(argv, &argc, "--vdev");
		}
		add(argv, &argc, p->dev);
	}
	if (!any_pci)
		add(argv, &argc, "--no-pci");
	/* --bench keeps its frames in mbufs: the capture's frame count, or
	 * the synthetic generator's batch. */
	if (c->bench_flows)
		mbufs += 65536 + 64;
	if (c->bench_file) {
		char err[512];
		struct weir_capture *cap = weir_capture_open(c->bench_file, err, sizeof(err));
		struct weir_frame fr;
		if (!cap)
			weir_die("--bench: %s", err);
		while (weir_capture_next(cap, &fr, err, sizeof(err)) == 1)
			mbufs++;
		weir_capture_close(cap);
	}

	switch (c->hugepages) {
	case WEIR_HUGE_YES:
		if (!weir_hugepages_available(why, sizeof(why)))
			weir_die("[eal] hugepages = yes but %s; or set hugepages = auto/no", why);
		/* Page files unlinked once mapped: nothing left in hugetlbfs. */
		add(argv, &argc, "--huge-unlink");
		break;
	case WEIR_HUGE_AUTO:
		if (weir_hugepages_available(why, sizeof(why))) {
			add(argv, &argc, "--huge-unlink");
			break;
		}
		weir_warn("running without hugepages: %s; using --no-huge --no-shconf (slower TLB behaviour, no multi-process)", why);
		/* fall through */
	case WEIR_HUGE_NO: {
		/* DPDK 22.11 turns --no-huge into legacy memory, which it
		 * refuses together with --in-memory; --no-shconf is the
		 * in-memory equivalent that it accepts (no shared config
		 * files, no secondary processes). */
		add(argv, &argc, "--no-huge");
		add(argv, &argc, "--no-shconf");
		/* Without hugepages the EAL heap is a fixed -m: size it for the
		 * mempools (2.4 KiB per mbuf, with its header and the pool ring: 3 KiB)
		 * plus rings and slack. */
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(mbufs * 3072 / (1 << 20) + 384));
		add(argv, &argc, "-m");
		add(argv, &argc, buf);
		break;
	}
	}
	if (c->eal_args[0]) {
		char *dup = strdup(c->eal_args), *save = NULL;
		for (char *t = strtok_r(dup, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			add(argv, &argc, t);
		free(dup);
	}
	if (!weir_quiet) {
		fprintf(stderr, "weir: EAL:");
		for (int i = 1; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "%s/dpdk/weir-%d",
		 getuid() == 0 ? "/var/run" : (getenv("XDG_RUNTIME_DIR") ? getenv("XDG_RUNTIME_DIR") : "/tmp"),
		 (int)getpid());
	atexit(remove_runtime_dir);
	/* rte_eal_init() reorders its argv: hand it a copy of the pointers. */
	static char *eal_argv[MAX_ARGS];
	memcpy(eal_argv, argv, sizeof(eal_argv));
	if (rte_eal_init(argc, eal_argv) < 0)
		weir_die("EAL initialisation failed: %s; check [eal] lcores/args and the port devs, "
			 "or memory: reserve hugepages (scripts/hugepages) or set [eal] hugepages = no",
			 rte_strerror(rte_errno));
	/* argv strings stay allocated: the EAL may keep pointers into them. */
}

void weir_eal_stop(void)
{
	rte_eal_cleanup();
	remove_runtime_dir();
}
