/* weir: the DPDK dataplane. Receives on its ports (span or inline), runs
 * every frame through a per-worker engine, writes the flow log, feeds
 * weir-control's shm rings, answers the command socket. See
 * doc/dataplane.md. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include "bundle.h"
#include "content.h"
#include "weir.h"

struct weir_app *weir_app_g;
static struct weir_app app;
static struct weir_conf conf;

static void on_signal(int sig)
{
	(void)sig;
	app.force_quit = 1;   /* the main lcore stops receiving, workers flush */
}

int main(int argc, char **argv)
{
	char err[512];
	struct timespec t0, t1;

	/* From the start: a stop request during start-up (EAL, Hyperscan
	 * compile) is honoured at the first check of the main loop, after
	 * which everything is cleaned up normally. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	weir_conf_load(&conf, argc, argv);
	if (conf.check) {
		/* Files and devices are checked at start; --check covers the
		 * settings themselves (and a model bundle, which loads here). */
		if (conf.model_path[0]) {
			struct weir_bundle *b = weir_bundle_load(conf.model_path, err, sizeof(err));
			if (!b)
				weir_die("[model] path: %s", err);
			weir_bundle_free(b);
		}
		weir_conf_print(stdout, &conf);
		return 0;
	}
	app.conf = &conf;
	app.sample_rate = conf.sample_rate;
	weir_app_g = &app;

	/* Before the EAL: a bad capture is a one-line error. */
	if (conf.replay)
		weir_replay_prepare(&conf, &app);

	weir_eal_start(&conf, argv[0]);
	weir_clock_calibrate();
	if (weir_meta_register() < 0)
		weir_die("cannot register the mbuf metadata field: %s", rte_strerror(rte_errno));

	if (conf.eng.content) {
		app.db = weir_content_db_create(err, sizeof(err));
		if (!app.db)
			weir_die("%s", err);
	}
	if (conf.bench_file || conf.bench_flows) {
		if (conf.model_path[0] && weir_model_load(&app, conf.model_path, NULL, err, sizeof(err)) < 0)
			weir_die("--model: %s", err);
		int rc = weir_bench_run(&app);
		weir_bundle_free(app.model);
		weir_content_db_free(app.db);
		weir_eal_stop();
		return rc;
	}

	weir_ports_init(&app);
	if (conf.shm_name[0]) {
		app.shm = weir_shm_producer_create(conf.shm_name, conf.workers, conf.shm_slots, err, sizeof(err));
		if (!app.shm)
			weir_die("[output] shm = '%s': %s", conf.shm_name, err);
		weir_info("records to control through /dev/shm%s (%u workers x 2 rings)",
			  weir_shm_producer_name(app.shm), conf.workers);
	}
	{
		/* Model swaps wait for every worker to pass a quiescent point. */
		size_t sz = rte_rcu_qsbr_get_memsize(conf.workers);
		app.qsbr = rte_zmalloc("weir_qsbr", sz, RTE_CACHE_LINE_SIZE);
		if (!app.qsbr || rte_rcu_qsbr_init(app.qsbr, conf.workers) != 0)
			weir_die("cannot set up RCU for %u workers", conf.workers);
	}
	app.threshold = conf.threshold;
	app.threshold_set = conf.threshold_set;
	if (conf.model_path[0]) {
		if (weir_model_load(&app, conf.model_path, NULL, err, sizeof(err)) < 0)
			weir_die("[model] path: %s", err);
		weir_info("scoring with model version %u from %s, threshold %g", app.model->version,
			  conf.model_path, weir_model_threshold(&app));
	}
	weir_workers_create(&app);
	weir_ctl_open(&app);
	weir_stats_register_telemetry(&app);
	weir_flowlog_start(&app);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < app.nworkers; i++)
		if (rte_eal_remote_launch(weir_worker_main, &app.worker[i], app.worker[i].lcore) != 0)
			weir_die("cannot launch worker %u on lcore %u", i, app.worker[i].lcore);
	weir_info("running: %u worker%s, %s mode%s", app.nworkers, app.nworkers == 1 ? "" : "s",
		  conf.mode == WEIR_MODE_INLINE ? "inline" : "span",
		  conf.replay ? " (replay: exits after the last frame)" : "; SIGINT/SIGTERM stops");

	weir_rx_loop(&app);
	rte_eal_mp_wait_lcore();
	/* Workers are gone (offline to RCU): the grace period of a bundle
	 * still retired is over; free it the counted way (summary below). */
	weir_model_reclaim(&app, 1);
	weir_flowlog_stop(&app);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (!conf.quiet) {
		weir_stats_print(stderr, &app);
		fprintf(stderr, "  %.3f s\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	int rc = app.flowlog_errno ? 1 : 0;

	weir_ctl_close(&app);
	weir_ports_stop(&app);
	weir_shm_producer_close(app.shm);
	for (unsigned i = 0; i < app.nworkers; i++)
		weir_engine_free(app.worker[i].eng);
	weir_bundle_free(app.model);
	weir_content_db_free(app.db);
	weir_eal_stop();
	return rc;
}
