/* `nook image import|pull|ls|inspect|rm|prune`. */
#pragma once

int cmd_image(int argc, char **argv);
