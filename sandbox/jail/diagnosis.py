"""Can code runs start on this machine, and if not, why and what one command fixes it.

The page says so *before* a visitor presses Run (``sandbox/code_runs.py`` caches the
answer); this module only looks at the machine, so the worker and the web process
reach the same verdict from the same facts.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sandbox.jail.runner import BubblewrapSandbox, RlimitSandbox


@dataclass(frozen=True)
class Diagnosis:
    available: bool
    mode: str  # "bubblewrap", "rlimit-only" or "" when nothing can start
    reason: str = ""  # why bubblewrap cannot start, as a clause ("bubblewrap is not installed")
    fix: str = ""  # the one command (or setting) that fixes it

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", *name.split(".")).read_text().strip()
    except OSError:
        return None


def _namespace_fix() -> tuple[str, str]:
    """Why user namespaces are refused here, and the switch that allows them."""
    if _sysctl("kernel.apparmor_restrict_unprivileged_userns") == "1":
        return ("AppArmor forbids unprivileged user namespaces",
                "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")  # fmt: skip
    if _sysctl("kernel.unprivileged_userns_clone") == "0":
        return "unprivileged user namespaces are disabled", "sudo sysctl -w kernel.unprivileged_userns_clone=1"
    if _sysctl("user.max_user_namespaces") == "0":
        return "user namespaces are disabled", "sudo sysctl -w user.max_user_namespaces=15000"
    return ("the container's seccomp profile forbids the namespaces bubblewrap needs",
            "give the worker's container security_opt: [seccomp=unconfined] (as docker-compose.yml does)")  # fmt: skip


def diagnose(preference: str = "auto") -> Diagnosis:
    """The verdict for SANDBOX_BACKEND=``preference`` (probes are cached per process)."""
    if preference == "rlimit":
        return Diagnosis(True, RlimitSandbox.mode) if RlimitSandbox.available() else Diagnosis(
            False, "", "the interpreter cannot run as an unprivileged user", "set SANDBOX_BACKEND=auto"
        )
    probe = BubblewrapSandbox.probe()
    if probe.ok:
        return Diagnosis(True, BubblewrapSandbox.mode)
    if preference == "auto" and RlimitSandbox.available():
        return Diagnosis(True, RlimitSandbox.mode, f"bubblewrap cannot start ({probe.detail})")
    sudo = "" if os.geteuid() == 0 else "sudo "
    detail = probe.detail
    if detail == "bwrap is not installed":
        reason, fix = "bubblewrap is not installed", f"{sudo}apt-get install bubblewrap"
    elif "setpriv" in detail:
        reason, fix = "setpriv is not installed", f"{sudo}apt-get install util-linux"
    elif "libseccomp" in detail:
        reason, fix = "libseccomp is not installed", f"{sudo}apt-get install libseccomp2"
    else:
        reason, fix = _namespace_fix()
        reason = f"{reason} (bubblewrap said: {detail or 'nothing'})"
    return Diagnosis(False, "", reason, fix)
