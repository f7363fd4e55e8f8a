/* `nook doctor`: what this host lets nook do, and what to do about the rest. */
#pragma once

int cmd_doctor(int argc, char **argv);
