/*
 * store_dir permissions: a directory group or others can write is refused with
 * MC_ERR_STORE_UNSAFE when it cannot be made private (MC_STORE_DIR_SHARED, a sticky 1777
 * directory), and tightened to 0700 when the process owns it (MC_STORE_DIR_OURS, made 0777 by
 * the Rust test, which checks the mode afterwards).
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.store_dir = getenv("MC_STORE_DIR_SHARED");
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_STORE_UNSAFE);
    CHECK_EQ_INT(client, 0); /* out-params only on success */
    CHECK(strcmp(mc_status_str(MC_ERR_STORE_UNSAFE), "MC_ERR_STORE_UNSAFE") == 0);

    cfg.store_dir = getenv("MC_STORE_DIR_OURS");
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
