/* weirctl subcommands: each takes the arguments after its own name. */
#ifndef WEIRCTL_CMD_H
#define WEIRCTL_CMD_H

/* Exit statuses shared by every subcommand. */
#define WEIRCTL_OK 0
#define WEIRCTL_ERR 1
#define WEIRCTL_USAGE 2

int weirctl_extract(int argc, char **argv);
int weirctl_train(int argc, char **argv);
int weirctl_eval(int argc, char **argv);
int weirctl_report(int argc, char **argv);
/* live commands (cmd_live.c) and replay (cmd_replay.c): weir-control */
int weirctl_status(int argc, char **argv);
int weirctl_stats(int argc, char **argv);
int weirctl_model(int argc, char **argv);
int weirctl_retrain(int argc, char **argv);
int weirctl_threshold(int argc, char **argv);
int weirctl_alerts(int argc, char **argv);
int weirctl_spikes(int argc, char **argv);
int weirctl_replay(int argc, char **argv);

#endif
