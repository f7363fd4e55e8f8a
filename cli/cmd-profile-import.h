/* nook profile import firejail: firejail's profiles into nook's. */
#pragma once

/* argv[0] is "import". Exit status: 0 all translated, 2 something left
   unsupported (listed on stderr) or a usage error, 1 on an error. */
int cmd_profile_import(int argc, char **argv);
