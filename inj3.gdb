set pagination off
p (long)syscall(240, "/nooktest-advsq", 0102, 0600, 0)
p *(int*)__errno_location()
p (long)syscall(241, "/nooktest-advsq")
p (int)semget(0, 1, 01600)
p *(int*)__errno_location()
p (long)syscall(112)
p (int)ioctl(0, 0x540F, 0)
p *(int*)__errno_location()
detach
quit
