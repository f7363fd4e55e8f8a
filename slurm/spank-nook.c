/* spank_nook.so: Slurm job steps in nook sandboxes (srun --nook-image=...).

   A SPANK plugin, kept thin: it links nothing of nook's and runs the nook
   binary for everything, so that a task gets the confinement nook gives
   and nothing else. On each node, the first task of a step to take the
   step's lock starts the sandbox (`nook run -d --name NAME ... -- /bin/sh
   -c 'read -r _'`: a holder that waits on the pty nook gives it); every
   task then replaces itself with `nook enter NAME -- ARGV`, whose exit
   status is the task's. slurmstepd's end of the step (slurm_spank_exit)
   stops the sandbox. Nothing here runs the task's command itself: when
   the sandbox cannot be had, the task fails with nook's own message.
   doc/nook-slurm.8 tells the rest. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

SPANK_PLUGIN(nook, 1);

#ifndef NOOK_BINDIR
#define NOOK_BINDIR "/usr/bin"
#endif

/* How long a task waits for another of its step to start the sandbox, and
   slurmstepd for the sandbox to stop. */
#define START_SECONDS 300
#define STOP_SECONDS 30

/* The holder: the sandbox's command while the step runs. nook run -t
   gives it a pty that nobody types into, so it waits without a sleep of
   the image's, and ends on the SIGTERM of nook stop. */
#define HOLDER "read -r _"

/* The job's variables a task takes even where the sandbox sets them. */
#define TASK_VARS "SLURM*,PMI*,OMPI_*,CUDA_VISIBLE_DEVICES,GPU_DEVICE_ORDINAL,ROCR_VISIBLE_DEVICES"

enum opt_id { O_IMAGE, O_PROFILE, O_MOUNTS, O_WORKDIR, O_NAME, O_WRITABLE, O_READONLY, O_ENV, N_OPTS };

static char *opt_val[N_OPTS];
static bool opt_set[N_OPTS];
static char nook_path[4096] = NOOK_BINDIR "/nook";

static int take_option(int val, const char *optarg, int remote)
{
        (void)remote;
        if (val < 0 || val >= N_OPTS)
                return -1;
        free(opt_val[val]);
        opt_val[val] = optarg ? strdup(optarg) : NULL;
        if (optarg && !opt_val[val])
                return -1;
        opt_set[val] = true;
        return 0;
}

static struct spank_option options[] = {
        { "nook-image", "NAME|PATH", "run the step's tasks in a nook sandbox of this image (a name of nook's store, "
          "an OCI layout or a root directory); see nook-slurm(8)", 1, O_IMAGE, take_option },
        { "nook-profile", "NAME", "the nook profile of the step's sandbox (with or without --nook-image)", 1, O_PROFILE,
          take_option },
        { "nook-mounts", "SRC[:DST[:ro]],...", "bind these host paths into the step's sandbox", 1, O_MOUNTS, take_option },
        { "nook-workdir", "DIR", "the tasks' directory in the sandbox when the submit directory is not there", 1,
          O_WORKDIR, take_option },
        { "nook-name", "NAME", "name the sandbox and keep its writable layer for later steps and jobs (nook run --persist)",
          1, O_NAME, take_option },
        { "nook-writable", NULL, "a writable root over the image, thrown away at the step's end (the default)", 0,
          O_WRITABLE, take_option },
        { "nook-readonly", NULL, "the image's root read-only, tmpfs at /tmp, /var/tmp and /run (nook run --read-only)", 0, O_READONLY, take_option },
        { "nook-env", "VAR,...", "these variables take the job's values even where the image sets them", 1, O_ENV,
          take_option },
        SPANK_OPTIONS_TABLE_END
};

static bool active(void)
{
        for (int i = 0; i < N_OPTS; i++)
                if (opt_set[i])
                        return true;
        return false;
}

/* Plugin arguments of plugstack.conf: nook=PATH. */
static int parse_args(int ac, char **av)
{
        for (int i = 0; i < ac; i++) {
                if (strncmp(av[i], "nook=", 5) == 0 && av[i][5] == '/' &&
                    (size_t)snprintf(nook_path, sizeof(nook_path), "%s", av[i] + 5) < sizeof(nook_path))
                        continue;
                slurm_error("nook: plugstack.conf: unknown or bad argument '%s' (the one argument is nook=/ABSOLUTE/PATH)",
                            av[i]);
                return -1;
        }
        return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
        spank_context_t ctx = spank_context();

        if (parse_args(ac, av) < 0)
                return -1;
        if (ctx != S_CTX_LOCAL && ctx != S_CTX_ALLOCATOR && ctx != S_CTX_REMOTE)
                return 0;
        for (struct spank_option *o = options; o->name; o++)
                if (spank_option_register(sp, o) != ESPANK_SUCCESS) {
                        slurm_error("nook: cannot register --%s", o->name);
                        return -1;
                }
        return 0;
}

/* What can be told before the job is sent: said by srun or sbatch. */
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
        (void)sp;
        (void)ac;
        (void)av;
        if (opt_set[O_READONLY] && opt_set[O_WRITABLE]) {
                slurm_error("nook: --nook-readonly and --nook-writable contradict each other: give one");
                return -1;
        }
        if (opt_set[O_READONLY] && opt_set[O_NAME]) {
                slurm_error("nook: --nook-readonly and --nook-name contradict each other: a read-only root keeps nothing (give one)");
                return -1;
        }
        if (opt_set[O_WORKDIR] && (!opt_val[O_WORKDIR] || opt_val[O_WORKDIR][0] != '/')) {
                slurm_error("nook: --nook-workdir needs an absolute path");
                return -1;
        }
        return 0;
}

/* ---- the step's names and files ---------------------------------------- */

static const char *env_get(char **env, const char *name)
{
        size_t n = strlen(name);

        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
                        return env[i] + n + 1;
        return NULL;
}

struct step {
        uid_t uid;
        gid_t gid;
        char **env;             /* the job's */
        char id[64];            /* JOB.STEP, JOB.batch */
        char name[128];         /* the sandbox's */
        char dir[4096];         /* the plugin's directory of locks */
        char lock[4200];        /* the step's lock in it */
};

static int step_id(spank_t sp, struct step *s)
{
        uint32_t job = 0, step = 0;

        if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
            spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
            spank_get_item(sp, S_JOB_UID, &s->uid) != ESPANK_SUCCESS ||
            spank_get_item(sp, S_JOB_GID, &s->gid) != ESPANK_SUCCESS ||
            spank_get_item(sp, S_JOB_ENV, &s->env) != ESPANK_SUCCESS)
                return -1;
        if (step == SLURM_BATCH_SCRIPT)
                snprintf(s->id, sizeof(s->id), "%u.batch", job);
        else if (step == SLURM_INTERACTIVE_STEP)
                snprintf(s->id, sizeof(s->id), "%u.interactive", job);
        else
                snprintf(s->id, sizeof(s->id), "%u.%u", job, step);
        int n = opt_val[O_NAME] ? snprintf(s->name, sizeof(s->name), "%s", opt_val[O_NAME])
                                : snprintf(s->name, sizeof(s->name), "slurm-%s", s->id);
        if (n < 0 || (size_t)n >= sizeof(s->name))
                return -1;
        return 0;
}

/* The plugin's directory of locks, as the job's user (its access() is
   the user's): in the job's $XDG_RUNTIME_DIR where the user may write
   there, as nook itself chooses (srun passes the submit host's, which a
   node may lack), else a directory of the user's in /tmp. */
static int step_paths(struct step *s)
{
        const char *xdg = env_get(s->env, "XDG_RUNTIME_DIR");
        int n;

        if (xdg && xdg[0] == '/' && access(xdg, W_OK) == 0)
                n = snprintf(s->dir, sizeof(s->dir), "%s/nook-slurm", xdg);
        else
                n = snprintf(s->dir, sizeof(s->dir), "/tmp/nook-slurm-%u", (unsigned)s->uid);
        if (n < 0 || (size_t)n >= sizeof(s->dir))
                return -1;
        n = snprintf(s->lock, sizeof(s->lock), "%s/%s.lock", s->dir, s->id);
        return n < 0 || (size_t)n >= sizeof(s->lock) ? -1 : 0;
}

/* The plugin's directory: the user's own, private, no link. */
static int private_dir(const char *dir, uid_t uid)
{
        struct stat st;

        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -1;
        if (lstat(dir, &st) < 0)
                return -1;
        if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077)) {
                errno = EPERM;
                return -1;
        }
        return 0;
}

/* ---- running nook ------------------------------------------------------- */

struct argv {
        char *v[256];
        int n;
};

static void push(struct argv *a, const char *s)
{
        if (a->n < (int)(sizeof(a->v) / sizeof(a->v[0])) - 1)
                a->v[a->n++] = (char *)s;
        a->v[a->n] = NULL;
}

static bool full(const struct argv *a)
{
        return a->n >= (int)(sizeof(a->v) / sizeof(a->v[0])) - 1;
}

/* --nook-mounts=SRC[:DST[:ro]],...: each a --bind, its copy in *words
   (freed by the caller). */
static int push_mounts(struct argv *a, char **words)
{
        if (!opt_val[O_MOUNTS])
                return 0;
        *words = strdup(opt_val[O_MOUNTS]);
        if (!*words)
                return -1;
        char *save = NULL;
        for (char *m = strtok_r(*words, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
                push(a, "--bind");
                push(a, m);
        }
        return 0;
}

/* What nook run -d said before it failed, as the task's one line: its
   own, but for a holder that cannot run (126, 127), which nook reports
   from inside the sandbox, through the holder's pty. */
static void say_start_failure(int status, int err_fd)
{
        char buf[4096];
        ssize_t n = read(err_fd, buf, sizeof(buf) - 1);

        if (status == 126 || status == 127) {
                fprintf(stderr, "nook: slurm: the image has no /bin/sh to hold the step's sandbox open (see nook-slurm(8))\n");
                return;
        }
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] != '\r')
                        fputc(buf[i], stderr);
}

/* nook run -d: stdin and stdout /dev/null (it prints the sandbox's id),
   stderr kept to be said once it returned (a helper it leaves running may
   hold the pipe, so it is not read to its end). Its exit status. */
static int run_nook_run(struct argv *a, char **env)
{
        int err[2];
        int st = 0;

        if (pipe2(err, O_CLOEXEC) < 0) {
                fprintf(stderr, "nook: slurm: cannot start nook: %s\n", strerror(errno));
                return 125;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null >= 0) {
                        dup2(null, 0);
                        dup2(null, 1);
                }
                dup2(err[1], 2);
                execve(nook_path, a->v, env);
                fprintf(stderr, "nook: slurm: cannot run %s: %s\n", nook_path, strerror(errno));
                _exit(125);
        }
        close(err[1]);
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        int status = pid < 0 ? 125 : WIFEXITED(st) ? WEXITSTATUS(st) : 125;
        if (pid < 0)
                fprintf(stderr, "nook: slurm: cannot start nook: %s\n", strerror(errno));
        fcntl(err[0], F_SETFL, O_NONBLOCK);
        if (pid > 0 && status != 0)
                say_start_failure(status, err[0]);
        close(err[0]);
        return status;
}

/* The sandbox: nook run -d, its stdout (the id it prints) to /dev/null,
   its stderr the task's, so that its one line of failure is the job's. */
static int start_sandbox(const struct step *s, const char *script)
{
        struct argv a = { .n = 0 };
        char *mounts = NULL;
        char *script_bind = NULL;

        push(&a, nook_path);
        push(&a, "run");
        push(&a, "-d");
        push(&a, "-t");
        push(&a, "--name");
        push(&a, s->name);
        if (opt_val[O_NAME])
                push(&a, "--persist");
        if (opt_set[O_READONLY])
                push(&a, "--read-only");
        /* the node's name, not the image's "nook": MPI tells the ranks of
           one node from another's by it */
        char host[256] = "";
        if (gethostname(host, sizeof(host) - 1) == 0 && host[0]) {
                push(&a, "--hostname");
                push(&a, host);
        }
        if (opt_val[O_PROFILE]) {
                push(&a, "--profile");
                push(&a, opt_val[O_PROFILE]);
        }
        if (opt_val[O_IMAGE]) {
                push(&a, "--image");
                push(&a, opt_val[O_IMAGE]);
        }
        if (opt_val[O_WORKDIR]) {
                push(&a, "-w");
                push(&a, opt_val[O_WORKDIR]);
        }
        if (push_mounts(&a, &mounts) < 0)
                return 125;
        /* the batch step's command is its script, in slurmd's spool */
        if (script && asprintf(&script_bind, "%s:%s:ro", script, script) > 0) {
                push(&a, "--bind");
                push(&a, script_bind);
        }
        push(&a, "--");
        push(&a, "/bin/sh");
        push(&a, "-c");
        push(&a, HOLDER);
        int status = 125;
        if (full(&a))
                fprintf(stderr, "nook: slurm: too many --nook-mounts\n");
        else
                status = run_nook_run(&a, s->env);
        free(mounts);
        free(script_bind);
        return status;
}

/* Takes the step's lock, within START_SECONDS: another task of the step
   may be starting the sandbox. */
static int lock_step(const struct step *s)
{
        int fd = open(s->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        struct timespec pause = { 0, 20 * 1000 * 1000 };
        time_t end = time(NULL) + START_SECONDS;

        if (fd < 0)
                return -1;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if ((errno != EWOULDBLOCK && errno != EINTR) || time(NULL) > end) {
                        int err = errno == EWOULDBLOCK ? ETIMEDOUT : errno;
                        close(fd);
                        errno = err;
                        return -1;
                }
                nanosleep(&pause, NULL);
        }
        return fd;
}

/* The sandbox of the step, started by the first task that gets here; 0
   once it runs, else the exit status the task ends with. */
static int ensure_sandbox(const struct step *s, const char *script)
{
        struct stat st;

        if (private_dir(s->dir, s->uid) < 0) {
                fprintf(stderr, "nook: slurm: %s is not a private directory of yours: %s\n", s->dir, strerror(errno));
                return 125;
        }
        int fd = lock_step(s);
        if (fd < 0) {
                fprintf(stderr, "nook: slurm: cannot lock %s: %s\n", s->lock, strerror(errno));
                return 125;
        }
        int status = 0;
        /* one byte in the lock: started (by this step, which stops it) */
        if (fstat(fd, &st) == 0 && st.st_size == 0) {
                status = start_sandbox(s, script);
                if (status == 0 && write(fd, "1", 1) != 1)
                        status = 125;
        }
        close(fd);
        return status;
}

/* ---- the task ------------------------------------------------------------ */

/* Replaces the task with nook enter NAME -- ARGV, in the submit directory
   when the sandbox shows it, and with the job's environment. */
static void enter_sandbox(const struct step *s, int argc, char **argv)
{
        struct argv a = { .n = 0 };
        char *cwd = getcwd(NULL, 0);
        char *try_wd = NULL;
        char *env_opt = NULL;

        push(&a, nook_path);
        push(&a, "enter");
        /* what Slurm sets for each task is the task's, whatever the
           sandbox's command (task 0's, for a host sandbox) had */
        if (asprintf(&env_opt, "--caller-env=" TASK_VARS "%s%s", opt_val[O_ENV] ? "," : "",
                     opt_val[O_ENV] ? opt_val[O_ENV] : "") > 0)
                push(&a, env_opt);
        if (cwd && asprintf(&try_wd, "--try-workdir=%s", cwd) > 0)
                push(&a, try_wd);
        if (opt_val[O_WORKDIR]) {
                push(&a, "-w");
                push(&a, opt_val[O_WORKDIR]);
        }
        push(&a, s->name);
        push(&a, "--");
        for (int i = 0; i < argc; i++)
                push(&a, argv[i]);
        if (full(&a)) {
                fprintf(stderr, "nook: slurm: the task's command has too many arguments for nook enter\n");
                _exit(125);
        }
        fflush(NULL);
        execve(nook_path, a.v, s->env);
        fprintf(stderr, "nook: slurm: cannot run %s: %s\n", nook_path, strerror(errno));
        _exit(125);
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
        struct step s;
        int argc = 0;
        char **argv = NULL;

        (void)ac;
        (void)av;
        if (!active() || !spank_remote(sp))
                return 0;
        if (step_id(sp, &s) < 0 || step_paths(&s) < 0 || spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS ||
            argc < 1) {
                fprintf(stderr, "nook: slurm: cannot learn the step's ids, environment and command from Slurm\n");
                _exit(125);
        }
        uint32_t step = 0;
        spank_get_item(sp, S_JOB_STEPID, &step);
        int status = ensure_sandbox(&s, step == SLURM_BATCH_SCRIPT ? argv[0] : NULL);
        if (status != 0)
                _exit(status);
        enter_sandbox(&s, argc, argv);
        return -1;
}

/* ---- the step's end ------------------------------------------------------ */

/* In a child, as the job's user: the lock removed, and the sandbox stopped
   when this step started it. */
static void stop_as_user(struct step *s)
{
        char c = 0;

        if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(s->gid) < 0 || setuid(s->uid) < 0))
                _exit(1);
        if (geteuid() != s->uid || step_paths(s) < 0)
                _exit(1);
        int fd = open(s->lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                _exit(0);
        bool ours = read(fd, &c, 1) == 1 && c == '1';
        close(fd);
        unlink(s->lock);
        rmdir(s->dir);  /* when no other step's lock is left */
        if (!ours)
                _exit(0);
        char *argv[] = { nook_path, "stop", "-t", "10", (char *)s->name, NULL };
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
        }
        execve(nook_path, argv, s->env);
        _exit(1);
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
        struct step s;

        (void)ac;
        (void)av;
        if (!active() || !spank_remote(sp) || step_id(sp, &s) < 0)
                return 0;
        pid_t pid = fork();
        if (pid == 0)
                stop_as_user(&s);
        if (pid < 0) {
                slurm_error("nook: cannot stop the sandbox %s: %m", s.name);
                return 0;
        }
        struct timespec pause = { 0, 50 * 1000 * 1000 };
        time_t end = time(NULL) + STOP_SECONDS;
        int st;
        pid_t r;
        while ((r = waitpid(pid, &st, WNOHANG)) == 0 && time(NULL) <= end)
                nanosleep(&pause, NULL);
        if (r == 0) {
                slurm_error("nook: the sandbox %s did not stop within %d s", s.name, STOP_SECONDS);
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
        }
        return 0;
}
