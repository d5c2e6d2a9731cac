"""JupyterHub for one csrlearn training session on one machine (`make hub`).

What a learner gets: an account with the room's shared password, and a JupyterLab server whose root
directory is `<classroom>/<learner>`, seeded with a fresh copy of the course notebooks on first start.
What it is NOT: a secure multi-tenant hub. Read the warnings below before running it anywhere but a
closed training room.

Everything is set with environment variables (the Makefile and the classroom load test set them):

    CSRLEARN_HUB_IP           where the proxy listens             127.0.0.1 (set 0.0.0.0 for a room LAN)
    CSRLEARN_HUB_PORT         the URL learners open                8000
    CSRLEARN_HUB_API_PORT     the proxy's REST API (127.0.0.1)     8001
    CSRLEARN_HUB_HUB_PORT     the Hub itself (127.0.0.1)           8081
    CSRLEARN_HUB_STATE        database, cookie secret, passwords   <repo>/.hub
    CSRLEARN_HUB_CLASSROOM    one directory per learner            <state>/classroom
    CSRLEARN_HUB_NOTEBOOKS    what each learner starts with        <repo>/notebooks
    CSRLEARN_HUB_PASSWORD     learners' shared password            generated into <state>/learner-password
    CSRLEARN_HUB_TRAINER      the trainer's (admin) user name      trainer
    CSRLEARN_HUB_TRAINER_PASSWORD  (32+ characters)                generated into <state>/trainer-password
    CSRLEARN_HUB_LEARNERS     comma-separated allowed names        anyone with the password may log in
    CSRLEARN_HUB_ADMIN_TOKEN  API token for scripts (load test)    none: no API service
    CSRLEARN_HUB_PROXY        configurable-http-proxy executable   deploy/jupyterhub/node_modules/.bin/...
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _env_path(name: str, default: Path) -> Path:
    return Path(os.environ.get(name) or default).resolve()


STATE = _env_path("CSRLEARN_HUB_STATE", REPO / ".hub")
CLASSROOM = _env_path("CSRLEARN_HUB_CLASSROOM", STATE / "classroom")
NOTEBOOKS = _env_path("CSRLEARN_HUB_NOTEBOOKS", REPO / "notebooks")
PROXY = _env_path("CSRLEARN_HUB_PROXY", HERE / "node_modules" / ".bin" / "configurable-http-proxy")
IP = os.environ.get("CSRLEARN_HUB_IP", "127.0.0.1")
PORT = int(os.environ.get("CSRLEARN_HUB_PORT", "8000"))
API_PORT = int(os.environ.get("CSRLEARN_HUB_API_PORT", "8001"))
HUB_PORT = int(os.environ.get("CSRLEARN_HUB_HUB_PORT", "8081"))
TRAINER = os.environ.get("CSRLEARN_HUB_TRAINER", "trainer")
# Learner names become directory names: lower-case letters, digits, dot, dash, underscore only.
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,31}$"

STATE.mkdir(parents=True, exist_ok=True, mode=0o700)
CLASSROOM.mkdir(parents=True, exist_ok=True, mode=0o700)


def _password(env: str, filename: str, nbytes: int) -> str:
    """The password from the environment, else the one kept in STATE/filename (made once, mode 0600)."""
    if os.environ.get(env):
        return os.environ[env]
    path = STATE / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(nbytes) + "\n")
    return path.read_text().strip()


# --- Network: only the proxy faces learners; the Hub, the proxy API and every server stay on loopback.
c.JupyterHub.bind_url = f"http://{IP}:{PORT}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = HUB_PORT
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{API_PORT}"
c.ConfigurableHTTPProxy.command = [str(PROXY)]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.Spawner.ip = "127.0.0.1"

# --- State of this session, kept out of the learners' reach.
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server
c.JupyterHub.cleanup_proxy = True

# --- Authentication. !!! FOR A CLOSED TRAINING ROOM ONLY !!!
# One shared password for all learners: anyone who knows it can log in as ANY learner name and so
# read that learner's work. Fine for a one-day session on a room network with throw-away training
# keys; never for real keys, never on the open internet. Use a real authenticator (OAuth, LDAP) there.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = _password("CSRLEARN_HUB_PASSWORD", "learner-password", 9)
c.SharedPasswordAuthenticator.admin_password = _password("CSRLEARN_HUB_TRAINER_PASSWORD", "trainer-password", 32)
c.Authenticator.admin_users = {TRAINER}
c.Authenticator.username_pattern = USERNAME_PATTERN
_learners = [n.strip() for n in os.environ.get("CSRLEARN_HUB_LEARNERS", "").split(",") if n.strip()]
if _learners:
    c.Authenticator.allowed_users = set(_learners)
else:
    c.Authenticator.allow_all = True  # the room's password is the gate

# --- An API token for scripts (the classroom load test): create learners, start their servers.
_token = os.environ.get("CSRLEARN_HUB_ADMIN_TOKEN")
if _token:
    c.JupyterHub.services = [{"name": "classroom-admin", "api_token": _token}]
    c.JupyterHub.load_roles = [{
        "name": "classroom-admin",
        "description": "Create learners, issue their tokens, start and stop their servers",
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"],
        "services": ["classroom-admin"],
    }]


# --- One directory per learner, seeded with the notebooks.
class ClassroomSpawner(SimpleLocalProcessSpawner):
    """Run each learner's JupyterLab as the hub's Unix user, rooted in CLASSROOM/<learner>.

    No Unix accounts are needed (the hub often runs as root in a container or a training VM).
    Learners see only their own directory in JupyterLab, and their kernels start there with
    HOME set to it. It is NOT a security boundary: every server runs as the same Unix user, so
    code typed into a notebook could read a neighbour's directory. For learners who must be
    kept apart, give each a Unix user (LocalProcessSpawner) or a container (Zero to JupyterHub).
    """

    def learner_dir(self) -> Path:
        name = self.user.name
        if not re.fullmatch(USERNAME_PATTERN, name):  # also enforced at login and by the REST API
            raise ValueError(f"learner name {name!r} cannot be used as a directory name")
        return CLASSROOM / name

    def seed(self) -> Path:
        """Create the learner's directory (0700) and copy in every course file not already there.

        Names starting with "." or "_" (checkpoints, the notebooks' build sources) are left out.

        A learner's own edits survive a server restart; a notebook the trainer adds later appears.
        """
        home = self.learner_dir()
        home.mkdir(mode=0o700, exist_ok=True)
        (home / ".tmp").mkdir(mode=0o700, exist_ok=True)
        if NOTEBOOKS.is_dir():
            for src in sorted(NOTEBOOKS.rglob("*")):
                rel = src.relative_to(NOTEBOOKS)
                if any(part.startswith((".", "_")) for part in rel.parts):  # checkpoints, build sources
                    continue
                dst = home / rel
                if src.is_dir():
                    dst.mkdir(exist_ok=True)
                elif not dst.exists():
                    shutil.copy2(src, dst)
        return home

    def user_env(self, env: dict) -> dict:
        env = super().user_env(env)
        home = self.learner_dir()
        env["HOME"] = str(home)
        # The course makes its scratch folders with tempfile (course.workspace()): keep them in the
        # learner's own directory instead of the machine's shared /tmp.
        env["TMPDIR"] = str(home / ".tmp")
        # `!csrlearn …` in a notebook finds the command of this environment even if the hub was
        # started without activating the venv.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
        return env


def _pre_spawn_hook(spawner: ClassroomSpawner) -> None:
    home = spawner.seed()
    spawner.home_dir = str(home)
    spawner.notebook_dir = str(home)  # the server's root_dir: the learner's own directory


c.JupyterHub.spawner_class = ClassroomSpawner
c.Spawner.pre_spawn_hook = _pre_spawn_hook
# The single-user server from the same environment as the hub, so csrlearn and its widgets are there.
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.args = ["--LabApp.news_url=None"]
if os.geteuid() == 0:  # containers, CI and training VMs run as root; Jupyter refuses root without this
    c.Spawner.args.append("--allow-root")
c.Spawner.default_url = "/lab"
# A whole class presses "Start" within a minute on a small machine: be patient.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
