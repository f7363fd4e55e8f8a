/* `nook image export NAME -o FILE.sqsh`: an image as one squashfs file;
   `nook image publish NAME DIR`: one into a shared store. */
#pragma once

int cmd_image_export(int argc, char **argv);
/* `nook image publish NAME DIR`: an image into a shared store. */
int cmd_image_publish(int argc, char **argv);
