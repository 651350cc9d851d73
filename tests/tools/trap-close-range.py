#!/usr/bin/env python3
"""trap-close-range.py CMD [ARG...] - run CMD under a seccomp filter that
kills the first process to call close_range(2) with SIGSYS (x86_64).

SIGSYS from seccomp is forced: it cannot be blocked, and its default action
dumps core, but only for a dumpable process. escapes.bats uses it to see
whether a process was dumpable at its first close_range.
"""
import ctypes
import os
import struct
import sys

NR_CLOSE_RANGE = 436
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
SECCOMP_RET_TRAP, SECCOMP_RET_ALLOW = 0x00030000, 0x7FFF0000

# ld [nr]; jeq close_range ? trap : allow
insns = [
    (0x20, 0, 0, 0),
    (0x15, 0, 1, NR_CLOSE_RANGE),
    (0x06, 0, 0, SECCOMP_RET_TRAP),
    (0x06, 0, 0, SECCOMP_RET_ALLOW),
]
code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in insns))


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


prog = SockFprog(len(insns), ctypes.addressof(code))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
    sys.exit("trap-close-range: seccomp: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])
