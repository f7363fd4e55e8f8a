/* Reading a squashfs image's directory and inode tables, for nook-squashfs
   (its lookups) and for the import's check of a whole tree: the tables'
   readers, and a name found in a directory's listing, through the
   directory's index where it has one. */
#pragma once

#include <sqfs/meta_reader.h>
#include <sqfs/predef.h>

/* The most inodes an image may say it has: nook-squashfs keeps a table of
   them (2^24 of 16 bytes, 256 MiB), the check a bitmap. */
#define SQUASHFS_MAX_INODES (1u << 24)

/* Readers of the inode table and of the directory table, each bounded by
   the table after it as libsquashfs's own directory reader bounds them.
   0, or -ENOMEM (nothing made). */
int squashfs_tables_open(sqfs_file_t *file, sqfs_compressor_t *cmp, const sqfs_super_t *super,
                         sqfs_meta_reader_t **inodes, sqfs_meta_reader_t **dirs);

/* Finds name among dir's entries, read through dir_table (a metadata
   reader over the image's directory table): 0 with its inode number and
   reference, 1 when there is none, or a libsquashfs error. Entries are
   sorted by name (the kernel's lookup relies on it too): the scan stops
   past it. */
int squashfs_find_entry(sqfs_meta_reader_t *dir_table, const sqfs_super_t *super, const sqfs_inode_generic_t *dir,
                        const char *name, sqfs_u32 *ino, sqfs_u64 *ref);
