"""Classroom load test: a real JupyterHub, N learners, one notebook run in each, all at once.

    python deploy/jupyterhub/classroom_test.py                  # 10 learners, notebooks/00-start-here.ipynb
    python deploy/jupyterhub/classroom_test.py -n 3 --notebook notebooks/01-….ipynb --json report.json

What it does, as a class would: start the hub from jupyterhub_config.py (proxy from npm, everything on
127.0.0.1 and free ports, state in a temporary directory), create the learners through the Hub's REST
API with an admin token, log each one in through the login form with the room's shared password, give
each a token, start every learner's server at the same moment through the REST API, then run the
notebook cell by cell in every learner's kernel concurrently (kernel websocket, Jupyter messaging
protocol), and check

  * every cell completes without an error (cells tagged ``raises-exception`` or marked
    ``# NBVAL_RAISES_EXCEPTION`` may raise; ``# NBVAL_SKIP`` cells are skipped, as under nbval);
  * each kernel runs in the learner's own directory (cwd and HOME), files it writes land there, and
    the learner cannot reach a neighbour's files through the contents API nor a neighbour's server
    with their own token;
  * nothing listens anywhere but 127.0.0.1, and stopping the hub stops every process it started.

It reports the start-up time of each learner's server, the notebook's run time, the resident memory
(RSS) of each server and its kernel, and the total wall time. Exit status 0 when every check passes.

Until the course notebooks exist, a small built-in notebook (make a key and a CSR, save them, match
them) stands in for ``notebooks/00-start-here.ipynb``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psutil
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse
from tornado.websocket import websocket_connect

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CONFIG = HERE / "jupyterhub_config.py"
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
DEFAULT_NOTEBOOK = REPO / "notebooks" / "00-start-here.ipynb"
CELL_TIMEOUT = 300.0  # seconds for one cell on a loaded two-core machine
STEP_TIMEOUT = 240.0  # seconds for the hub to come up, or for one server to start

# Stand-in notebook until the course's first notebook lands: the chores the course teaches, in four cells.
TINY_NOTEBOOK_CELLS = [
    "import csrlearn",
    'key = csrlearn.generate_key("ec")\n'
    'csr = csrlearn.build_csr(key, csrlearn.Subject(common_name="learner.example"), ["learner.example"])',
    'csrlearn.save_key(key, "learner.key")\ncsrlearn.save(csr, "learner.csr")',
    'report = csrlearn.match(["learner.key", "learner.csr"])\nassert report.verdict == "match", report\nprint(report)',
]


# --------------------------------------------------------------------------------------------- report
@dataclass
class LearnerResult:
    """What one learner's session did, and what was checked about it."""

    name: str
    login_ok: bool = False
    startup_s: float | None = None  # POST /users/{name}/server until the server is ready
    run_s: float | None = None  # kernel start + every cell
    cells_run: int = 0
    errors: list[str] = field(default_factory=list)  # unexpected cell errors, failed steps
    server_rss_mb: float | None = None
    kernel_rss_mb: float | None = None
    kernel_cwd: str | None = None
    kernel_home: str | None = None
    kernel_tmp: str | None = None
    new_files: list[str] = field(default_factory=list)  # files the run created in the learner's directory
    foreign_access: dict[str, int] = field(default_factory=dict)  # attempt -> HTTP status (must not be 200)
    isolation_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.login_ok and not self.errors and not self.isolation_problems


@dataclass
class ClassroomReport:
    """The whole session: per-learner results and what the hub itself did."""

    notebook: str
    learners: list[LearnerResult]
    wall_s: float = 0.0  # hub start to hub stopped
    hub_start_s: float | None = None
    hub_rss_mb: float | None = None
    proxy_rss_mb: float | None = None
    listening: list[str] = field(default_factory=list)  # "name ip:port" of every listening socket
    wrong_password_rejected: bool = False
    stopped_cleanly: bool = False  # every process the hub started had exited after it stopped
    leftover_pids: list[int] = field(default_factory=list)  # killed by the test: should stay empty
    processes_started: int = 0  # proxy, servers and kernels the hub started (all must be gone at the end)
    problems: list[str] = field(default_factory=list)  # hub-level failures

    @property
    def ok(self) -> bool:
        return (not self.problems and self.wrong_password_rejected and self.stopped_cleanly
                and bool(self.learners) and all(r.ok for r in self.learners)
                and all(addr.split()[-1].startswith("127.0.0.1:") for addr in self.listening))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d

    def __str__(self) -> str:
        def num(v: float | None, fmt: str = "6.1f") -> str:
            return format(v, fmt) if v is not None else "     -"

        lines = [f"classroom: {len(self.learners)} learners running {self.notebook}",
                 f"{'learner':<12} {'start s':>7} {'run s':>6} {'cells':>5} {'server MB':>9} {'kernel MB':>9}  result"]
        for r in self.learners:
            verdict = "ok" if r.ok else "FAIL: " + "; ".join([*r.errors, *r.isolation_problems]
                                                             or (["login failed"] if not r.login_ok else []))
            lines.append(f"{r.name:<12} {num(r.startup_s, '7.1f')} {num(r.run_s)} {r.cells_run:>5} "
                         f"{num(r.server_rss_mb, '9.0f')} {num(r.kernel_rss_mb, '9.0f')}  {verdict}")
        starts = [r.startup_s for r in self.learners if r.startup_s is not None]
        mems = [r.server_rss_mb + r.kernel_rss_mb for r in self.learners
                if r.server_rss_mb is not None and r.kernel_rss_mb is not None]
        if starts:
            lines.append(f"start-up: median {sorted(starts)[len(starts) // 2]:.1f} s, slowest {max(starts):.1f} s")
        if mems:
            lines.append(f"memory per learner (server + kernel): mean {sum(mems) / len(mems):.0f} MB, "
                         f"max {max(mems):.0f} MB; hub {num(self.hub_rss_mb, '.0f')} MB, "
                         f"proxy {num(self.proxy_rss_mb, '.0f')} MB")
        lines.append(f"hub up in {num(self.hub_start_s, '.1f')} s; total wall time {self.wall_s:.1f} s")
        by_name: dict[str, int] = {}
        for entry in self.listening:
            by_name[entry.split()[0]] = by_name.get(entry.split()[0], 0) + 1
        loopback = all(entry.split()[-1].startswith("127.0.0.1:") for entry in self.listening)
        lines.append(f"listening: {len(self.listening)} sockets, "
                     f"{'all on 127.0.0.1' if loopback else 'NOT ALL ON 127.0.0.1: ' + ', '.join(self.listening)} "
                     f"({', '.join(f'{n} {k}' for n, k in sorted(by_name.items()))})")
        lines.append(f"wrong password rejected: {self.wrong_password_rejected}; stopping the hub stopped all "
                     f"{self.processes_started} processes it started: {self.stopped_cleanly}")
        lines.extend(f"PROBLEM: {p}" for p in self.problems)
        lines.append("RESULT: " + ("every learner ok" if self.ok else "FAILED"))
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------ helpers
def ensure_proxy() -> Path:
    """configurable-http-proxy from npm, installed once under deploy/jupyterhub/node_modules."""
    if not PROXY.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install configurable-http-proxy (apt-get install npm)")
        subprocess.run([npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund", "--loglevel=error"],
                       check=True, timeout=300)
    return PROXY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_tiny_notebook(directory: Path) -> Path:
    """The stand-in notebook (nbformat 4), written as plain JSON."""
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": src, "id": f"cell{i}"} for i, src in enumerate(TINY_NOTEBOOK_CELLS)]
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "id": "title",
                     "source": "# Classroom check: make a key and a CSR, then match them"}, *cells],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "00-classroom-check.ipynb"
    path.write_text(json.dumps(nb, indent=1))
    return path


def default_notebook() -> Path | None:
    """notebooks/00-start-here.ipynb once it exists; None means: use the stand-in."""
    return DEFAULT_NOTEBOOK if DEFAULT_NOTEBOOK.exists() else None


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]


def _stored_output(cell: dict) -> str:
    """The cell's saved output as nbval compares it: stdout, and text/plain of results and displays."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append(_text(out.get("text", "")))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(_text(out.get("data", {}).get("text/plain", "")) + "\n")
    return "".join(parts)


def cells_to_run(cells: list[dict]) -> list[tuple[str, bool, str | None]]:
    """(source, may_raise, expected output or None) for each code cell, following nbval's markers.

    Like ``pytest --nbval-lax``: only cells marked ``# NBVAL_CHECK_OUTPUT`` (or tagged
    ``nbval-check-output``) and run before (an execution count) have their output compared.
    """
    out = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "NBVAL_SKIP" in src or "nbval-skip" in tags or not src.strip():
            continue
        check = ("NBVAL_CHECK_OUTPUT" in src or "nbval-check-output" in tags) and cell.get("execution_count")
        out.append((src, "NBVAL_RAISES_EXCEPTION" in src or "raises-exception" in tags,
                    _stored_output(cell) if check else None))
    return out


def _rss_mb(procs: list[psutil.Process]) -> float | None:
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return round(total / 2**20, 1) if procs else None


_JUPYTER_DIRS = {".local", ".ipython", ".jupyter", ".cache", ".npm", ".ipynb_checkpoints"}


def _files(root: Path) -> set[str]:
    """Files under root, leaving out Jupyter's own state (runtime files, history, checkpoints)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not _JUPYTER_DIRS & set(p.relative_to(root).parts)}


class _Http:
    """A tiny JSON client for the Hub and the learners' servers (tornado, already a Hub dependency)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = AsyncHTTPClient(force_instance=True, defaults={"request_timeout": STEP_TIMEOUT})

    async def fetch(self, method: str, path: str, *, token: str | None = None, body: Any = None,
                    headers: dict[str, str] | None = None) -> HTTPResponse:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"token {token}"
        if body is not None and not isinstance(body, (str, bytes)):
            body, h["Content-Type"] = json.dumps(body), "application/json"
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = ""
        return await self.client.fetch(self.base + path, method=method, headers=h, body=body,
                                       raise_error=False, follow_redirects=False)

    async def json(self, method: str, path: str, *, token: str | None = None, body: Any = None,
                   expect: tuple[int, ...] = (200, 201, 202)) -> Any:
        r = await self.fetch(method, path, token=token, body=body)
        if r.code not in expect:
            raise RuntimeError(f"{method} {path} -> {r.code} {r.body[:300]!r}")
        return json.loads(r.body) if r.body else None


# ---------------------------------------------------------------------------------------- the steps
async def _login(http: _Http, name: str, password: str) -> bool:
    """Log in through the Hub's login form, as a browser would: True if the Hub set its login cookie."""
    page = await http.fetch("GET", "/hub/login")
    cookies = [c.split(";", 1)[0] for c in page.headers.get_list("Set-Cookie")]
    xsrf = next((c.split("=", 1)[1] for c in cookies if c.startswith("_xsrf=")), "")
    r = await http.fetch("POST", "/hub/login", body=urlencode({"username": name, "password": password, "_xsrf": xsrf}),
                         headers={"Cookie": "; ".join(cookies),
                                  "Content-Type": "application/x-www-form-urlencoded"})
    return r.code == 302 and any(c.startswith("jupyterhub-hub-login=")
                                 for c in r.headers.get_list("Set-Cookie"))


async def _start_server(http: _Http, res: LearnerResult, token: str) -> None:
    """Start the learner's server with the learner's own token; time it until the Hub says ready."""
    t0 = time.monotonic()
    await http.json("POST", f"/hub/api/users/{res.name}/server", token=token)
    while time.monotonic() - t0 < STEP_TIMEOUT:
        user = await http.json("GET", f"/hub/api/users/{res.name}", token=token)
        server = (user.get("servers") or {}).get("")
        if server and server.get("ready"):
            res.startup_s = round(time.monotonic() - t0, 2)
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{res.name}'s server did not start within {STEP_TIMEOUT:.0f} s")


def _message(msg_type: str, content: dict, session: str, channel: str = "shell") -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "classroom",
                       "session": session, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}


async def _request(ws: Any, msg: dict, reply_type: str) -> tuple[dict, list[str], str]:
    """Send one shell request; collect iopub until idle. Returns (reply content, errors, output text).

    The output text is what nbval compares: stdout, and the text/plain of results and displays.
    """
    msg_id = msg["header"]["msg_id"]
    await ws.write_message(json.dumps(msg))
    reply, idle, errors, stdout = None, False, [], []  # stdout: the output text
    deadline = time.monotonic() + CELL_TIMEOUT
    while reply is None or not idle:
        raw = await asyncio.wait_for(ws.read_message(), timeout=max(1.0, deadline - time.monotonic()))
        if raw is None:
            raise ConnectionError("the kernel websocket closed")
        if isinstance(raw, bytes):  # a message with binary buffers (widgets): not one we wait for
            continue
        m = json.loads(raw)
        if m.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = m.get("msg_type") or m["header"]["msg_type"]
        if kind == reply_type:
            reply = m["content"]
        elif kind == "status" and m["content"].get("execution_state") == "idle":
            idle = True
        elif kind == "error":
            errors.append(f"{m['content'].get('ename')}: {m['content'].get('evalue')}")
        elif kind == "stream" and m["content"].get("name") == "stdout":
            stdout.append(m["content"].get("text", ""))
        elif kind in ("execute_result", "display_data"):
            stdout.append(_text(m["content"].get("data", {}).get("text/plain", "")) + "\n")
    return reply, errors, "".join(stdout)


async def _run_notebook(http: _Http, ws_base: str, res: LearnerResult, token: str, nb_name: str) -> tuple[str, str]:
    """Open the notebook from the learner's own server and run its cells in a fresh kernel.

    Returns (session id, kernel id); the kernel is left running so its memory can be measured.
    """
    t0 = time.monotonic()
    user = f"/user/{res.name}"
    model = await http.json("GET", f"{user}/api/contents/{quote(nb_name)}?content=1", token=token)
    session = await http.json("POST", f"{user}/api/sessions", token=token, body={
        "path": nb_name, "name": nb_name, "type": "notebook", "kernel": {"name": "python3"}})
    kernel_id, client_session = session["kernel"]["id"], uuid.uuid4().hex
    ws = await websocket_connect(HTTPRequest(
        f"{ws_base}{user}/api/kernels/{kernel_id}/channels?session_id={client_session}",
        headers={"Authorization": f"token {token}"}, request_timeout=STEP_TIMEOUT))
    try:
        await _request(ws, _message("kernel_info_request", {}, client_session), "kernel_info_reply")
        for i, (src, may_raise, expected) in enumerate(cells_to_run(model["content"]["cells"]), start=1):
            reply, errors, out = await _request(ws, _message("execute_request", {
                "code": src, "silent": False, "store_history": True, "user_expressions": {},
                "allow_stdin": False, "stop_on_error": True}, client_session), "execute_reply")
            res.cells_run = i
            if reply.get("status") != "ok" and not may_raise:
                res.errors.append(f"cell {i}: " + ("; ".join(errors) or reply.get("status", "?")))
                break
            if expected is not None and _lines(out) != _lines(expected):
                res.errors.append(f"cell {i}: output differs from the notebook's stored output "
                                  f"(# NBVAL_CHECK_OUTPUT): got {out[:200]!r}")
        # Where does this kernel live? And leave a marker only this learner's directory should get.
        probe = ("import json, os, pathlib, tempfile\n"
                 f"pathlib.Path('classroom-marker.txt').write_text({res.name!r})\n"
                 "print(json.dumps({'cwd': os.getcwd(), 'home': os.path.expanduser('~'),"
                 " 'tmp': tempfile.gettempdir()}))")
        reply, errors, out = await _request(ws, _message("execute_request", {
            "code": probe, "silent": False, "store_history": False, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}, client_session), "execute_reply")
        if reply.get("status") != "ok":
            res.errors.append("probe cell: " + "; ".join(errors))
        else:
            where = json.loads(out.strip().splitlines()[-1])
            res.kernel_cwd, res.kernel_home, res.kernel_tmp = where["cwd"], where["home"], where["tmp"]
    finally:
        ws.close()
    res.run_s = round(time.monotonic() - t0, 2)
    return session["id"], kernel_id


async def _check_isolation(http: _Http, res: LearnerResult, token: str, others: list[str],
                           home: Path, nb_name: str) -> None:
    """The learner sees only their own directory, and cannot use their token on a neighbour's server."""
    problems = res.isolation_problems
    real_home = str(home.resolve())
    # The notebook may change directory (the course works in a scratch folder): it must stay inside home.
    if res.kernel_cwd is not None and not _inside(res.kernel_cwd, real_home):
        problems.append(f"kernel cwd is {res.kernel_cwd}, outside {real_home}")
    if res.kernel_home is not None and os.path.realpath(res.kernel_home) != real_home:
        problems.append(f"kernel HOME is {res.kernel_home}, not {real_home}")
    if res.kernel_tmp is not None and not _inside(res.kernel_tmp, real_home):
        problems.append(f"kernel temporary files go to {res.kernel_tmp}, outside {real_home}")
    # Every marker a kernel wrote (into its cwd) must sit in its own learner's tree, and this one's must exist.
    mine = 0
    for marker in home.parent.rglob("classroom-marker.txt"):
        owner = marker.read_text()
        if owner == res.name:
            mine += 1
            if not _inside(str(marker), real_home):
                problems.append(f"{res.name}'s kernel wrote {marker}, outside its directory")
    if mine != 1 and not res.errors:
        problems.append(f"found {mine} marker files of {res.name}'s kernel in the classroom, expected 1")
    listing = await http.json("GET", f"/user/{res.name}/api/contents/", token=token)
    names = {item["name"] for item in listing["content"]}
    if nb_name not in names:
        problems.append(f"{nb_name} is not in the learner's own directory listing")
    if names & set(others):
        problems.append(f"the listing shows other learners' directories: {sorted(names & set(others))}")
    for other in others[:2]:  # a neighbour or two is enough to show the rule
        r = await http.fetch("GET", f"/user/{res.name}/api/contents/..%2F{other}%2F{quote(nb_name)}", token=token)
        res.foreign_access[f"own server: ../{other}/{nb_name}"] = r.code
        if r.code == 200:
            problems.append(f"the contents API served ../{other}/{nb_name}")
        r = await http.fetch("GET", f"/user/{other}/api/contents/", token=token)
        res.foreign_access[f"{other}'s server with own token"] = r.code
        if r.code == 200:
            problems.append(f"{res.name}'s token opened {other}'s server")


def _inside(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)


def _processes_by_learner(hub: psutil.Process) -> tuple[dict[str, list[psutil.Process]], dict[str, list[psutil.Process]], psutil.Process | None]:
    """Map each learner to their server process(es) and kernel process(es); find the proxy."""
    servers: dict[str, list[psutil.Process]] = {}
    kernels: dict[str, list[psutil.Process]] = {}
    proxy = None
    for p in hub.children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
            if "configurable-http-proxy" in cmd:
                proxy = p
                continue
            user = p.environ().get("JUPYTERHUB_USER")
        except psutil.Error:
            continue
        if not user:
            continue
        if "jupyterhub-singleuser" in cmd:
            servers.setdefault(user, []).append(p)
        elif "ipykernel" in cmd:
            kernels.setdefault(user, []).append(p)
    return servers, kernels, proxy


def _listening(procs: list[psutil.Process]) -> list[str]:
    pids = {p.pid: p for p in procs}
    out = set()
    for conn in psutil.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            try:
                name = pids[conn.pid].name()
            except psutil.Error:
                name = str(conn.pid)
            out.add(f"{name} {conn.laddr.ip}:{conn.laddr.port}")
    return sorted(out)


# ----------------------------------------------------------------------------------------- the test
async def _session(report: ClassroomReport, hub_proc: subprocess.Popen, seen: dict[int, psutil.Process],
                   base: str, ws_base: str, token: str, password: str, classroom: Path, nb_name: str,
                   seeded: set[str], t_start: float) -> None:
    http = _Http(base)
    hub = psutil.Process(hub_proc.pid)

    async def track() -> None:  # remember every process the hub starts, to be sure all of them stop
        while True:
            try:
                for p in hub.children(recursive=True):
                    seen.setdefault(p.pid, p)
            except psutil.Error:
                return
            await asyncio.sleep(0.3)

    tracker = asyncio.ensure_future(track())
    try:
        while True:  # the Hub answers through the proxy once both are up
            if hub_proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with status {hub_proc.returncode}")
            r = None
            try:
                r = await http.fetch("GET", "/hub/api/")
            except (OSError, ConnectionError):
                pass
            if r is not None and r.code == 200:
                break
            if time.monotonic() - t_start > STEP_TIMEOUT:
                raise TimeoutError("the hub did not come up")
            await asyncio.sleep(0.2)
        report.hub_start_s = round(time.monotonic() - t_start, 2)

        names = [r.name for r in report.learners]
        await http.json("POST", "/hub/api/users", token=token, body={"usernames": names})
        report.wrong_password_rejected = not await _login(http, names[0], password + "-wrong")
        logins = await asyncio.gather(*(_login(http, n, password) for n in names))
        tokens: dict[str, str] = {}
        for res, ok in zip(report.learners, logins):
            res.login_ok = ok
            made = await http.json("POST", f"/hub/api/users/{res.name}/tokens", token=token,
                                   body={"note": "classroom load test", "expires_in": 3600})
            tokens[res.name] = made["token"]

        async def one_learner(res: LearnerResult) -> tuple[str, str] | None:
            try:
                await _start_server(http, res, tokens[res.name])
                return await _run_notebook(http, ws_base, res, tokens[res.name], nb_name)
            except Exception as e:  # noqa: BLE001 - recorded as this learner's failure, others go on
                res.errors.append(f"{type(e).__name__}: {e}")
                return None

        sessions = await asyncio.gather(*(one_learner(r) for r in report.learners))

        # Every kernel still alive: measure memory and sockets now, as a class mid-exercise.
        servers, kernels, proxy = _processes_by_learner(hub)
        for res in report.learners:
            res.server_rss_mb = _rss_mb(servers.get(res.name, []))
            res.kernel_rss_mb = _rss_mb(kernels.get(res.name, []))
        report.hub_rss_mb = _rss_mb([hub])
        report.proxy_rss_mb = _rss_mb([proxy] if proxy else [])
        report.listening = _listening([hub, *hub.children(recursive=True)])

        for res in report.learners:
            home = classroom / res.name
            others = [n for n in names if n != res.name]
            res.new_files = sorted(_files(home) - seeded) if home.is_dir() else []
            if res.name in tokens and res.startup_s is not None:
                await _check_isolation(http, res, tokens[res.name], others, home, nb_name)

        for res, ids in zip(report.learners, sessions):
            if ids:
                await http.fetch("DELETE", f"/user/{res.name}/api/sessions/{ids[0]}", token=tokens[res.name])
    finally:
        tracker.cancel()
        http.client.close()


def run_classroom(learners: int = 10, notebook: Path | None = None, *, workdir: Path | None = None,
                  log: Any = print) -> ClassroomReport:
    """Run the whole classroom session and return its report (see the module docstring)."""
    proxy = ensure_proxy()
    own_tmp = workdir is None
    work = Path(tempfile.mkdtemp(prefix="csrlearn-classroom-")) if own_tmp else workdir
    work.mkdir(parents=True, exist_ok=True)
    if notebook is None:
        notebook = default_notebook() or write_tiny_notebook(work / "course")
    notebook = notebook.resolve()
    state, classroom = work / "state", work / "classroom"
    port, api_port, hub_port = free_port(), free_port(), free_port()
    while len({port, api_port, hub_port}) < 3:
        api_port, hub_port = free_port(), free_port()
    token, password = secrets.token_hex(32), secrets.token_urlsafe(12)
    env = {**os.environ, "CSRLEARN_HUB_STATE": str(state), "CSRLEARN_HUB_CLASSROOM": str(classroom),
           "CSRLEARN_HUB_NOTEBOOKS": str(notebook.parent), "CSRLEARN_HUB_IP": "127.0.0.1",
           "CSRLEARN_HUB_PORT": str(port), "CSRLEARN_HUB_API_PORT": str(api_port),
           "CSRLEARN_HUB_HUB_PORT": str(hub_port), "CSRLEARN_HUB_PASSWORD": password,
           "CSRLEARN_HUB_ADMIN_TOKEN": token, "CSRLEARN_HUB_PROXY": str(proxy)}
    env.pop("CSRLEARN_HUB_LEARNERS", None)
    report = ClassroomReport(notebook=str(notebook),
                             learners=[LearnerResult(f"learner{i:02d}") for i in range(1, learners + 1)])
    seen: dict[int, psutil.Process] = {}
    state.mkdir(parents=True, exist_ok=True)
    hub_log = open(work / "hub.log", "wb")  # noqa: SIM115 - closed in finally
    log(f"starting JupyterHub on http://127.0.0.1:{port} for {learners} learners ({notebook.name}); log: {work / 'hub.log'}")
    t_start = time.monotonic()
    hub_proc = subprocess.Popen([str(Path(sys.executable).with_name("jupyterhub")), "-f", str(CONFIG)],
                                cwd=state, env=env, stdout=hub_log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        asyncio.run(_session(report, hub_proc, seen, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}",
                             token, password, classroom, notebook.name, _files(notebook.parent), t_start))
    except Exception as e:  # noqa: BLE001 - a failed session is a failed report, and the hub still stops
        report.problems.append(f"{type(e).__name__}: {e}")
    finally:
        report.leftover_pids = _stop(hub_proc, seen)
        report.processes_started = len(seen)
        report.stopped_cleanly = hub_proc.returncode is not None and not report.leftover_pids
        report.wall_s = round(time.monotonic() - t_start, 2)
        hub_log.close()
        if report.problems:
            tail = (work / "hub.log").read_text(errors="replace").splitlines()[-25:]
            report.problems.append("hub log tail:\n    " + "\n    ".join(tail))
        if own_tmp and report.ok:
            shutil.rmtree(work, ignore_errors=True)
        elif own_tmp:
            log(f"kept {work} for inspection")
    return report


def _stop(hub_proc: subprocess.Popen, seen: dict[int, psutil.Process]) -> list[int]:
    """Stop the hub (it stops the proxy and every server); kill whatever it left. Returns those pids."""
    if hub_proc.poll() is None:
        hub_proc.send_signal(signal.SIGTERM)
        try:
            hub_proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(hub_proc.pid, signal.SIGKILL)
            hub_proc.wait(timeout=10)
    left = []
    for pid, proc in seen.items():
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                left.append(pid)
        except psutil.Error:
            pass
    for pid in left:  # only processes this hub started (recorded while it ran)
        try:
            seen[pid].kill()
        except psutil.Error:
            pass
    if left:
        psutil.wait_procs([seen[p] for p in left], timeout=10)
    return left


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--learners", type=int, default=10, help="how many learners (default 10)")
    parser.add_argument("--notebook", type=Path, default=None,
                        help="the notebook each learner runs (default notebooks/00-start-here.ipynb, "
                             "or a small stand-in until it exists); its whole directory is copied to each learner")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    parser.add_argument("--workdir", type=Path, help="keep the hub's state and learners' directories here")
    args = parser.parse_args(argv)
    if args.learners < 1:
        parser.error("--learners must be at least 1")
    report = run_classroom(args.learners, args.notebook, workdir=args.workdir)
    print(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.to_dict(), indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
