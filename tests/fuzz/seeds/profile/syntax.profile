; comments of both kinds, blank lines, CRLF, continuations and escapes

[Run]
Command=/bin/sh -c \
  # a comment inside a continuation is skipped
  'echo one; \
   echo two'
Environment=A=1 # a trailing comment
Environment=HASH=a\#b
Environment=
Environment=DOLLAR=$$HOME
Hostname = spaced
[  Filesystem  ]
Bind=relative/src:/dst
Tmpfs=/a/./b//c:size=1K,size=2T
Hide=/x/../y
