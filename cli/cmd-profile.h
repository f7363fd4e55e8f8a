/* `nook profile ls|show|check|keys`: the profile tools. */
#pragma once

int cmd_profile(int argc, char **argv);
