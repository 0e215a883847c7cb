/* Implementation of the shared test helpers (see nnh_test.h). */
#define _DEFAULT_SOURCE
#include "nnh_test.h"
#include "nnhull/network.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char pathbuf[8][4096];
static int pathslot;

static char *slot(void)
{
    pathslot = (pathslot + 1) % 8;
    return pathbuf[pathslot];
}

const char *nnh_src_path(const char *rel)
{
    char *p = slot();
    snprintf(p, 4096, "%s/%s", NNH_SOURCE_DIR, rel);
    return p;
}

const char *nnh_data_path(const char *rel)
{
    const char *root = getenv("NNH_SHARED_DATA_DIR");
    if (!root || !*root)
        root = NNH_SHARED_DATA_DIR;
    char *p = slot();
    snprintf(p, 4096, "%s/%s", root, rel);
    struct stat st;
    return stat(p, &st) == 0 ? p : NULL;
}

void nnh_require_data(const char *rel)
{
    if (!nnh_data_path(rel)) {
        printf("SKIP: shared data '%s' is absent\n", rel);
        exit(77);
    }
}

int nnh_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

double nnh_test_rand(unsigned long long *state)
{
    unsigned long long z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

const char *nnh_test_tmpfile(const char *text, const char *suffix)
{
    char *p = slot();
    snprintf(p, 4096, "/tmp/nnh_test_XXXXXX%s", suffix ? suffix : "");
    int fd = mkstemps(p, suffix ? (int)strlen(suffix) : 0);
    if (fd < 0)
        return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    return p;
}

struct nnh_network *nnh_test_random_net(int n_layers, const int *sizes, double bias_shift,
                                        unsigned long long *st)
{
    nnh_network *net;
    nnh_error err;
    ck_assert_msg(nnh_network_create(&net, n_layers, sizes, &err) == 0, "%s", err.msg);
    for (int k = 0; k < n_layers; k++) {
        nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_in * L->n_out; i++)
            L->W[i] = 2 * nnh_test_rand(st) - 1;
        for (int i = 0; i < L->n_out; i++)
            L->b[i] = nnh_test_rand(st) - bias_shift;
    }
    return net;
}

double nnh_test_grid_min2(const struct nnh_network *net)
{
    double m = INFINITY;
    for (int i = 0; i <= 400; i++)
        for (int j = 0; j <= 400; j++) {
            double x[2] = {-1 + i / 200.0, -1 + j / 200.0}, y;
            nnh_network_eval(net, x, &y, NULL);
            m = fmin(m, y);
        }
    return m;
}
