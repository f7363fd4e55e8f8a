/* `nook image export NAME -o FILE.sqsh`: an image as one squashfs file. */
#pragma once

int cmd_image_export(int argc, char **argv);
