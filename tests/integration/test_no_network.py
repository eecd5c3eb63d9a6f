"""Indexing with models opens no network connection (ONNX Runtime's telemetry included).

Two guards, both on a real ``lexiscope index`` with tiny real-architecture models (text through the
int8 ONNX graph, and the vocabulary model) in a child process:
- a ``sitecustomize`` audit hook (``sys.addaudithook``) in that process and every process it starts,
  which records and refuses any ``socket.connect`` / ``getaddrinfo`` to a non-local address;
- where strace works, the system calls of the whole process tree: native code (ONNX Runtime's 1DS
  telemetry resolves its host from a C++ thread, invisible to Python) must not connect anywhere either.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fixtures.tiny_models import install_tiny_models

GUARD = r'''
import os, sys

_LOG = os.environ["LEXISCOPE_NET_LOG"]
_LOCAL = {None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0"}


def _local(host):
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    return host in _LOCAL or (isinstance(host, str) and (host.startswith("127.") or host.startswith("/")))


def _hook(event, args):
    host = None
    if event == "socket.connect" or event == "socket.sendto":
        addr = args[1]
        if isinstance(addr, (str, bytes)):  # AF_UNIX path
            return
        host = addr[0]
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        host = args[0]
    else:
        return
    if not _local(host):
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {event} {host!r}\n")
        raise OSError(f"network access refused by the test guard: {event} {host!r}")


sys.addaudithook(_hook)
'''

_REMOTE = re.compile(r'(?:inet_addr|inet_pton\(AF_INET6?,\s*)\("?([0-9a-fA-F.:]+)"?\)?')


def _strace_works() -> bool:
    exe = shutil.which("strace")
    if not exe:
        return False
    # Containers often forbid ptrace; then only the Python-level guard runs.
    return subprocess.run([exe, "-f", "-o", os.devnull, "true"], capture_output=True).returncode == 0


def _remote_syscalls(log: str) -> list[str]:
    bad = []
    for line in log.splitlines():
        if not re.search(r"\b(connect|sendto|sendmsg|sendmmsg)\(", line):
            continue
        if "nscd/socket" in line:  # glibc asking the name-service cache: a host lookup
            bad.append(line)
        for addr in _REMOTE.findall(line):
            if not (addr.startswith("127.") or addr in ("::1", "0.0.0.0", "::")):
                bad.append(line)
    return bad


def test_indexing_with_models_makes_no_network_call(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    install_tiny_models(home, tmp_path / "work", roles=("text", "vocab"))
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(["The harbour strike closed the docks.", "Polio closed the beaches in July."]):
        (docs / f"note{i}.txt").write_text(text + "\n", encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    net_log = tmp_path / "net.log"
    repo = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}  # the app must set it itself
    env.update(LEXISCOPE_HOME=str(home), LEXISCOPE_NET_LOG=str(net_log),
               PYTHONPATH=os.pathsep.join([str(site), str(repo)]))
    cmd = [sys.executable, "-m", "app.cli", "index", str(docs)]
    trace = tmp_path / "strace.log"
    traced = _strace_works()
    if traced:
        # --seccomp-bpf stops only on the traced calls: the run is not slowed by tracing every syscall.
        cmd = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=%network", "-o", str(trace), *cmd]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 indexed" in proc.stdout, proc.stdout
    assert list((home / "models" / "onnx").glob("*/model.int8.onnx")), "the int8 ONNX graph was not used"
    assert not net_log.exists(), net_log.read_text()
    if traced:
        assert _remote_syscalls(trace.read_text(errors="replace")) == []


def test_the_strace_reader_sees_a_dns_lookup():
    # The log format the guard reads: the lines strace printed when ONNX Runtime's telemetry was on.
    log = ('8394  connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0\n'
           '8395  connect(8, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT\n'
           '8396  connect(9, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n')
    assert len(_remote_syscalls(log)) == 2
