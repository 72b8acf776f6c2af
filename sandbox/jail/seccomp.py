"""The seccomp filter every sandboxed child runs under: kernel interfaces a snippet has no use for.

Why a filter on top of namespaces: an unprivileged process may still create a *user*
namespace, and inside it it holds CAP_SYS_ADMIN over new mount namespaces — enough
to mount a tmpfs whose pages belong to no process (the OOM killer then picks the
site instead), and to reach io_uring, bpf and keyrings, the kernel surfaces most
local privilege escalations of recent years go through. So the child may not:

* make namespaces (``unshare``, ``setns``, and ``clone`` with any ``CLONE_NEW*`` flag);
  ``clone3`` passes its flags in memory a filter cannot read, so it gets ENOSYS and
  the C library falls back to ``clone``, whose flags we can check;
* mount anything (``mount``, ``umount2``, ``pivot_root`` and the new mount API);
* use io_uring, bpf, perf events, keyrings (``add_key``, ``keyctl``, ``request_key``),
  ptrace or another process's memory (``process_vm_readv``/``writev``), userfaultfd,
  or load kernels and modules.

Everything else is allowed: the filter is a deny list because Python, numpy and
torch use a wide, version-dependent set of ordinary system calls. Denied calls fail
with EPERM, so a snippet sees an ordinary "Operation not permitted".

The BPF program is compiled by libseccomp (Debian's ``libseccomp2``, the library
systemd, Docker/runc and Flatpak use), called through ctypes: six functions of a
stable C ABI, so no Python binding to keep up to date. ``bwrap --seccomp FD`` loads
the compiled program just before it starts the child; the rlimit fallback loads the
same bytes itself with ``prctl`` right before ``exec``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import tempfile
from functools import lru_cache

# Denied outright. Names, not numbers: libseccomp resolves them for the native architecture
# and skips the ones this kernel's architecture does not have.
DENIED_SYSCALLS = (
    # namespaces
    "unshare", "setns",
    # mounts, old and new API
    "mount", "umount", "umount2", "pivot_root", "chroot",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # kernel surfaces with a long record of privilege escalations
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "bpf", "perf_event_open", "userfaultfd",
    "add_key", "keyctl", "request_key",
    "ptrace", "process_vm_readv", "process_vm_writev",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
)  # fmt: skip

# clone(2) flags that make a namespace (linux/sched.h).
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEW_FLAGS = (
    CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
)  # fmt: skip

# libseccomp's constants (seccomp.h).
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7


def SCMP_ACT_ERRNO(code: int) -> int:  # noqa: N802  (the C macro's name)
    return 0x00050000 | (code & 0x0000FFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


class SeccompUnavailable(RuntimeError):
    """libseccomp is not installed: code runs are refused rather than run without the filter."""


@lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as exc:
        raise SeccompUnavailable(f"libseccomp cannot be loaded ({exc}); install it: apt-get install libseccomp2") from None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_ArgCmp),
    ]  # fmt: skip
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


def _check(result: int, what: str) -> None:
    if result < 0:
        raise OSError(-result, f"libseccomp: {what}: {os.strerror(-result)}")


@lru_cache(maxsize=1)
def filter_bpf() -> bytes:
    """The compiled filter (a ``struct sock_filter`` array), built once per process."""
    lib = _lib()
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise SeccompUnavailable("libseccomp could not create a filter context")
    try:
        deny = SCMP_ACT_ERRNO(errno.EPERM)
        for name in DENIED_SYSCALLS:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # not a system call on this architecture (e.g. umount on x86_64)
                continue
            _check(lib.seccomp_rule_add(ctx, deny, number, 0), name)
        clone = lib.seccomp_syscall_resolve_name(b"clone")
        for flag in CLONE_NEW_FLAGS:  # one rule per flag: any of them set denies the call
            cmp = _ArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag)
            _check(lib.seccomp_rule_add_array(ctx, deny, clone, 1, ctypes.byref(cmp)), "clone")
        clone3 = lib.seccomp_syscall_resolve_name(b"clone3")
        if clone3 >= 0:
            _check(lib.seccomp_rule_add(ctx, SCMP_ACT_ERRNO(errno.ENOSYS), clone3, 0), "clone3")
        with tempfile.TemporaryFile() as out:
            _check(lib.seccomp_export_bpf(ctx, out.fileno()), "export")
            out.seek(0)
            return out.read()
    finally:
        lib.seccomp_release(ctx)


def filter_fd() -> int:
    """A fresh readable file descriptor holding the filter, for ``bwrap --seccomp FD`` (caller closes it)."""
    data = filter_bpf()
    fd = os.memfd_create("sandbox-seccomp", os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def load_in_this_process(program: bytes) -> None:
    """Install ``program`` on the calling process (the rlimit fallback's ``preexec``; irreversible).

    Only prctl, so nothing is allocated by libseccomp in the forked child.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    fprog = _SockFprog(len(program) // 8, program)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
