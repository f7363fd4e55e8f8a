/* `nook info [--json]`: the configuration in effect and where each value
   came from, the paths in use, the helpers found and their versions, and
   what this host gives (the doctor's facts, without its advice). */
#pragma once

int cmd_info(int argc, char **argv);
