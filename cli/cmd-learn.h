/* `nook learn`: a profile from an observed run. */
#pragma once

int cmd_learn(int argc, char **argv);
