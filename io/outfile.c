/* Safe output files: temporaries created exclusively (never an existing file
 * or a symlink) beside the output and renamed over it when complete, their
 * stale leftovers found by exact name (no pattern matching), and outputs that
 * would overwrite an input file refused (same device and inode). */
#define _GNU_SOURCE
#include "nnhull/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUFFIX_LEN 6

static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* SUFFIX_LEN unpredictable characters of alnum (getrandom, else a clock mix) */
static void random_suffix(char *s)
{
    unsigned char r[SUFFIX_LEN];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        static unsigned long long count;
        unsigned long long z = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 32) ^
                               ((unsigned long long)getpid() << 16) ^ ++count;
        for (int i = 0; i < SUFFIX_LEN; i++) {
            z = (z ^ (z >> 31)) * 0x9E3779B97F4A7C15ULL;
            r[i] = (unsigned char)(z >> 56);
        }
    }
    for (int i = 0; i < SUFFIX_LEN; i++)
        s[i] = alnum[r[i] % (sizeof alnum - 1)];
    s[SUFFIX_LEN] = '\0';
}

int nnh_temp_create(const char *path, char **tmp, int *fd, nnh_error *err)
{
    *tmp = NULL;
    *fd = -1;
    size_t n = strlen(path) + 48;
    char *t = malloc(n);
    if (!t)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    int e = EEXIST;
    for (int attempt = 0; attempt < 100 && e == EEXIST; attempt++) {
        char s[SUFFIX_LEN + 1];
        random_suffix(s);
        snprintf(t, n, "%s.tmp.%ld.%s", path, (long)getpid(), s);
        /* O_EXCL: fails on any existing name, dangling symlinks included */
        *fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        e = *fd < 0 ? errno : 0;
    }
    if (*fd < 0) {
        int rc = nnh_error_set(err, NNH_EIO, "%s: cannot create a temporary file beside it: %s",
                               path, strerror(e));
        free(t);
        return rc;
    }
    *tmp = t;
    return NNH_OK;
}

int nnh_temp_write(int fd, const char *tmp, const void *buf, size_t n, nnh_error *err)
{
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, p + done, n - done, (off_t)done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return nnh_error_set(err, NNH_EIO, "%s: cannot write: %s", tmp,
                                 w < 0 ? strerror(errno) : "no progress");
        done += (size_t)w;
    }
    if (ftruncate(fd, (off_t)n) != 0)
        return nnh_error_set(err, NNH_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    return NNH_OK;
}

int nnh_temp_commit(int fd, const char *tmp, const char *path, nnh_error *err)
{
    int rc = NNH_OK;
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot write %s: %s", path, tmp, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot write %s: %s", path, tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot rename %s to it: %s", path, tmp,
                           strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

void nnh_temp_discard(int fd, const char *tmp)
{
    if (fd >= 0)
        close(fd);
    if (tmp)
        unlink(tmp);
}

int nnh_write_file_atomic(const char *path, const void *buf, size_t n, nnh_error *err)
{
    char *tmp;
    int fd;
    int rc = nnh_temp_create(path, &tmp, &fd, err);
    if (rc)
        return rc;
    rc = nnh_temp_write(fd, tmp, buf, n, err);
    if (rc)
        nnh_temp_discard(fd, tmp);
    else
        rc = nnh_temp_commit(fd, tmp, path, err);
    free(tmp);
    return rc;
}

/* pid of a temporary "<base>.tmp.<pid>" or "<base>.tmp.<pid>.<suffix>" of
 * base; 0 when name is not one */
static long temp_pid(const char *name, const char *base)
{
    size_t b = strlen(base);
    if (strncmp(name, base, b) != 0 || strncmp(name + b, ".tmp.", 5) != 0)
        return 0;
    const char *p = name + b + 5, *q = p;
    long pid = 0;
    while (*q >= '0' && *q <= '9' && q - p < 10)
        pid = pid * 10 + (*q++ - '0');
    if (q == p)
        return 0;
    if (*q == '\0')
        return pid;
    if (*q != '.' || strlen(q + 1) != SUFFIX_LEN)
        return 0;
    for (const char *s = q + 1; *s; s++)
        if (!strchr(alnum, *s))
            return 0;
    return pid;
}

int nnh_process_alive(long pid)
{
    if (kill((pid_t)pid, 0) != 0)
        return errno != ESRCH;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1; /* no /proc: trust kill() */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* "pid (comm) S ..." */
    return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

void nnh_temp_remove_stale(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
    DIR *d = dir ? opendir(dir) : NULL;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            long pid = temp_pid(e->d_name, base);
            struct stat st;
            if (pid > 0 && pid != (long)getpid() && !nnh_process_alive(pid) &&
                fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
                unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
    free(dir);
}

int nnh_output_check(const char *out, const char *const *inputs, int n_inputs, nnh_error *err)
{
    struct stat so, si;
    if (!out || stat(out, &so) != 0)
        return NNH_OK; /* not there yet: it cannot be an input */
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] && stat(inputs[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino)
            return nnh_error_set(err, NNH_EINVAL, "%s is the input file %s (same file): refusing "
                                 "to overwrite it", out, inputs[i]);
    return NNH_OK;
}
