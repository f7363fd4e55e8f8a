/* `nook ps` and `nook stop`: the running sandboxes, from their run state. */
#pragma once

int cmd_ps(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_logs(int argc, char **argv);
