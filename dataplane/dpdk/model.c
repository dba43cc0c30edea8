/* The scoring model of the workers: loaded and swapped on the main lcore,
 * never on a worker. The new bundle is published with one release store;
 * the old one is freed once rte_rcu_qsbr says every worker has passed a
 * quiescent point (reported once per burst) since the swap, so no worker
 * can still be scoring with it. DPDK 22.11 has no RTE_ATOMIC(); the
 * pointer uses the GCC __atomic builtins it is defined over in later
 * releases. */
#include <math.h>
#include <string.h>
#include <rte_rcu_qsbr.h>
#include "bundle.h"
#include "weir.h"

/* Free the oldest retired bundle if its grace period is over (with
 * `wait`: once it is). Returns 1 when one was freed. */
static int reclaim_oldest(struct weir_app *app, int wait)
{
	if (!app->nretired)
		return 0;
	if (app->qsbr && rte_rcu_qsbr_check(app->qsbr, app->retired[0].token, wait ? true : false) != 1)
		return 0;
	weir_bundle_free(app->retired[0].b);
	app->nretired--;
	memmove(&app->retired[0], &app->retired[1], app->nretired * sizeof(app->retired[0]));
	app->models_freed++;
	return 1;
}

/* Free every retired bundle whose grace period is over; with `wait`,
 * every one (shutdown: the workers are offline, so at once). Called by
 * the main lcore every 10 ms. */
void weir_model_reclaim(struct weir_app *app, int wait)
{
	while (reclaim_oldest(app, wait))
		;
}

int weir_model_load(struct weir_app *app, const char *dir, double *dropped,
		    char *err, size_t errlen)
{
	struct weir_bundle *b = weir_bundle_load(dir, err, errlen);
	if (!b)
		return -1;
	/* A threshold is a decision value on one model's scale; another model
	 * brings its own. Dropped before the pointer swap, so every record
	 * is judged by its model's own threshold or, before, the override. */
	if (dropped) {
		*dropped = NAN;
		if (app->threshold_set) {
			*dropped = app->threshold;
			__atomic_store_n(&app->threshold_set, 0, __ATOMIC_RELEASE);
		}
	}
	weir_model_reclaim(app, 0);
	/* All slots taken (swaps faster than grace periods): wait for the
	 * oldest rather than grow. */
	if (app->nretired == WEIR_MODEL_RETIRED_MAX)
		reclaim_oldest(app, 1);
	struct weir_bundle *old = __atomic_exchange_n(&app->model, b, __ATOMIC_ACQ_REL);
	if (old) {
		app->model_swaps++;
		app->retired[app->nretired].b = old;
		app->retired[app->nretired].token = app->qsbr ? rte_rcu_qsbr_start(app->qsbr) : 0;
		app->nretired++;
		if (!app->qsbr)
			weir_model_reclaim(app, 1);
	}
	return 0;
}

double weir_model_threshold(const struct weir_app *app)
{
	const struct weir_bundle *b = __atomic_load_n(&app->model, __ATOMIC_ACQUIRE);
	if (app->threshold_set)
		return app->threshold;
	return b ? b->threshold : 0.0;
}
