/* `nook oci run|state|kill|delete`: an OCI runtime's commands over nook's
   sandboxes, for Slurm's oci.conf. */
#pragma once

/* argv[0] is "oci"; returns the process exit status. */
int cmd_oci(int argc, char **argv);
