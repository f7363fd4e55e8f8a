/* `nook enter`: a command inside a running sandbox, confined as its own. */
#pragma once

int cmd_enter(int argc, char **argv);
