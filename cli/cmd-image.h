/* `nook image import|pull|ls|inspect|rm|prune`. */
#pragma once

int cmd_image(int argc, char **argv);

/* `nook rm NAME...`: delete persistent sandboxes. */
int cmd_rm(int argc, char **argv);
