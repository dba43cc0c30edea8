/* The scoring model of the workers: loaded and swapped on the main lcore,
 * never on a worker. The new bundle is published with one release store;
 * the old one is freed once rte_rcu_qsbr says every worker has passed a
 * quiescent point (reported once per burst) since the swap, so no worker
 * can still be scoring with it. DPDK 22.11 has no RTE_ATOMIC(); the
 * pointer uses the GCC __atomic builtins it is defined over in later
 * releases. */
#include <rte_rcu_qsbr.h>
#include "bundle.h"
#include "weir.h"

/* Free the retired bundle once its grace period is over; with `wait`,
 * block until it is (a second swap right after the first, shutdown). */
void weir_model_reclaim(struct weir_app *app, int wait)
{
	if (!app->retired)
		return;
	if (app->qsbr && rte_rcu_qsbr_check(app->qsbr, app->retire_token, wait ? true : false) != 1)
		return;
	weir_bundle_free(app->retired);
	app->retired = NULL;
	app->models_freed++;
}

int weir_model_load(struct weir_app *app, const char *dir, char *err, size_t errlen)
{
	struct weir_bundle *b = weir_bundle_load(dir, err, errlen);
	if (!b)
		return -1;
	weir_model_reclaim(app, 1);
	struct weir_bundle *old = __atomic_exchange_n(&app->model, b, __ATOMIC_ACQ_REL);
	if (old) {
		app->model_swaps++;
		app->retired = old;
		app->retire_token = app->qsbr ? rte_rcu_qsbr_start(app->qsbr) : 0;
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
