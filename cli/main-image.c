/* nook-image: the image store's commands, in a program of their own so
   that `nook run` never loads libarchive and libcrypto. nook execs it for
   `nook image ...` and `nook rm ...`. */
#include <string.h>

#include "cli/cmd-image.h"

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "rm-sandbox") == 0)
                return cmd_rm(argc - 1, argv + 1);
        return cmd_image(argc, argv);
}
