/* nook-squashfs's lookups: a name found in a directory's listing, through
   the directory's index where it has one. */
#pragma once

#include <sqfs/meta_reader.h>
#include <sqfs/predef.h>

/* Finds name among dir's entries, read through dir_table (a metadata
   reader over the image's directory table): 0 with its inode number and
   reference, 1 when there is none, or a libsquashfs error. Entries are
   sorted by name (the kernel's lookup relies on it too): the scan stops
   past it. */
int squashfs_find_entry(sqfs_meta_reader_t *dir_table, const sqfs_super_t *super, const sqfs_inode_generic_t *dir,
                        const char *name, sqfs_u32 *ino, sqfs_u64 *ref);
