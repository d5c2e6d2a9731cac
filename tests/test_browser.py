"""The notebooks in a real browser: JupyterLab + headless Debian Chromium, driven by Playwright.

One JupyterLab server (127.0.0.1, a free port, a random token) serves a temporary copy of ``notebooks/``
and of ``tests/browser/widgets_demo.ipynb``, so the repository never gains a file. Each notebook is opened,
Run All is clicked once the kernel is idle, and then: no cell may show an error, every widget output must
render, and any Matcher on the page is driven with a mismatching key/certificate pair and must say MISMATCH.
A screenshot of every notebook lands in ``tests/artifacts/screenshots/`` (git-ignored): look at them.

The browser is Debian's ``/usr/bin/chromium`` (``apt-get install chromium``), never a downloaded one;
when it is missing the test fails and says so.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# What worked on these machines (see NOTES.md "Real browser"): no sandbox as root, no GPU, nothing online.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / "tests" / "artifacts" / "screenshots"
DEMO = REPO / "tests" / "browser" / "widgets_demo.ipynb"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + [DEMO]

VIEWPORT = {"width": 1280, "height": 1000}
SERVER_START_TIMEOUT = 60  # seconds; the server is up in about 2 s here
RUN_TIMEOUT_MS = 120_000  # a whole notebook (RSA keys, a training CA) runs in a few seconds here

STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings: Path) -> None:
    """JupyterLab user settings for a quiet, fully rendered notebook."""
    files = {
        # Render every cell (no virtual scrolling), so outputs far down the page are in the DOM.
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        # No news or update checks: offline, and no pop-up over the notebook.
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        # Never write the executed notebook back (it is a temporary copy anyway).
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    }
    for name, value in files.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def _api(base: str, token: str, path: str, method: str = "GET") -> object:
    req = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def mismatched_pair(tmp_path_factory) -> list[Path]:
    """A private key and a certificate issued for a different key: the Matcher must say MISMATCH."""
    import csrlearn

    d = tmp_path_factory.mktemp("pair")
    ca = csrlearn.TrainingCA()
    key = csrlearn.generate_key("ec")
    other = csrlearn.generate_key("ec")
    cert = ca.issue(csrlearn.build_csr(other, csrlearn.Subject(common_name="www.example.com"), ["www.example.com"]))
    key_path, cert_path = d / "site.key", d / "site.crt"
    csrlearn.save_key(key, key_path)
    csrlearn.save(cert, cert_path)
    return [key_path, cert_path]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One JupyterLab server for every notebook, on a free port with a random token; stopped afterwards."""
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    shutil.copytree(REPO / "notebooks", work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
                    dirs_exist_ok=True) if (REPO / "notebooks").is_dir() else work.mkdir()
    shutil.copy2(DEMO, work / DEMO.name)
    _write_settings(root / "settings")
    token = secrets.token_hex(24)
    port = _free_port()
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               IPYTHONDIR=str(root / "ipython"), PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                                                      os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--ServerApp.root_dir={work}", f"--IdentityProvider.token={token}",
           "--LabApp.news_url=None", "--ServerApp.terminals_enabled=False",
           # window.jupyterapp: the test opens and closes notebooks in one page instead of reloading the app
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it (containers, CI)
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{(root / 'server.log').read_text()[-3000:]}")
            try:
                _api(base, token, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n"
                                f"{(root / 'server.log').read_text()[-3000:]}")
                time.sleep(0.2)
        yield {"base": base, "token": token, "work": work, "log": root / "server.log"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright's sync API; a missing browser is a failure, not a skip."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the browser test needs Debian's chromium "
                    f"(apt-get install chromium, or `make browser-deps`); never `playwright install`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # one context for every notebook: JupyterLab's scripts are cached after the first page
            context = b.new_context(viewport=VIEWPORT)
            yield context
            context.close()
        finally:
            b.close()


def _stop_kernels(lab: dict) -> None:
    """Shut down every kernel, so the next notebook gets the CPU (two cores, shared)."""
    for k in _api(lab["base"], lab["token"], "/api/kernels"):  # type: ignore[union-attr]
        try:
            _api(lab["base"], lab["token"], f"/api/kernels/{k['id']}", method="DELETE")
        except urllib.error.HTTPError:
            pass


def _widget_outputs_expected(nb: Path) -> int:
    """At least one widget output for a notebook that uses csrlearn.widgets, none required otherwise."""
    cells = json.loads(nb.read_text())["cells"]
    return int(any(c["cell_type"] == "code" and "csrlearn.widgets" in "".join(c["source"]) for c in cells))


def _run_all(page) -> None:
    """Run → Run All Cells, through the menu bar as a learner would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _drive_matcher(page, pair: list[Path]) -> str:
    """Clear the first Matcher, add the mismatching pair by server path, and return the verdict text."""
    matcher = page.locator(".csrlearn-matcher").first
    matcher.scroll_into_view_if_needed()
    matcher.locator("button", has_text="Clear").click()
    path_box = matcher.locator("input[placeholder^='/etc/ssl']")
    verdict = matcher.locator(".csrlearn-verdict")
    for p in pair:
        path_box.fill(str(p))
        matcher.locator("button", has_text="Add path").click()
        # the box empties once the kernel has taken the path
        page.wait_for_function("el => el.value === ''", arg=path_box.element_handle(), timeout=30_000)
    verdict.filter(has_text="MISMATCH").wait_for(timeout=30_000)
    return verdict.inner_text()


@pytest.fixture(scope="module")
def lab_page(lab, browser):
    """One JupyterLab page for every notebook (the app loads once); JavaScript errors are collected."""
    page = browser.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    page.goto(f"{lab['base']}/lab/workspaces/test?reset&token={lab['token']}", wait_until="domcontentloaded",
              timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-LabShell')", timeout=60_000)
    page.locator(".jp-LabShell").wait_for(timeout=60_000)
    page.evaluate("() => window.jupyterapp.restored")
    if page.locator(".jp-FileBrowser").is_visible():
        page.keyboard.press("Control+b")  # hide the file browser: the notebook gets the whole width
    yield page
    page.close()


def _open_only(page, name: str | None) -> None:
    """Close every document without saving (the runs are throw-away), then open ``name`` as a notebook."""
    page.evaluate("""async (path) => {
        const app = window.jupyterapp;
        for (const w of Array.from(app.shell.widgets('main'))) {
            if (w.context) w.context.model.dirty = false;
            w.dispose();
        }
        if (path) await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    }""", name)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.name for n in NOTEBOOKS])
def test_notebook_runs_in_chromium(lab, lab_page, mismatched_pair, nb):
    """Run All in JupyterLab: no cell errors, widgets render, a Matcher says MISMATCH for a bad pair."""
    page = lab_page
    page.set_viewport_size(VIEWPORT)
    console_errors: list[str] = page.errors
    console_errors.clear()
    try:
        _open_only(page, nb.name)
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        # The status bar's "| Idle" (not the toolbar indicator, which reads idle while the kernel still
        # starts and Run All then does nothing): the kernel is ready.
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=60_000)
        _run_all(page)
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", timeout=RUN_TIMEOUT_MS)
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=RUN_TIMEOUT_MS)

        errors = page.locator(STDERR)
        assert errors.count() == 0, f"{nb.name}: a cell shows an error:\n" + "\n---\n".join(
            errors.all_inner_texts())[:4000]
        expected = _widget_outputs_expected(nb)
        if expected:
            page.locator(".jupyter-widgets.widget-vbox").first.wait_for(timeout=30_000)
        outputs = page.locator(".jp-OutputArea-output")
        broken = outputs.filter(has_text=re.compile("Error displaying widget|Loading widget|Failed to load"))
        assert broken.count() == 0, f"{nb.name}: a widget did not render: {broken.first.inner_text()[:500]}"
        widgets = page.locator(".jp-OutputArea-output > .jupyter-widgets")  # one per displayed widget
        assert widgets.count() >= expected, f"{nb.name}: {widgets.count()} widgets rendered, expected {expected}"
        for i in range(widgets.count()):
            box = widgets.nth(i).bounding_box()
            assert box and box["height"] > 20 and box["width"] > 100, f"{nb.name}: widget {i} has no size: {box}"
        if nb == DEMO:  # every widget class of csrlearn.widgets, each rendered once
            for css in ("csrlearn-builder", "csrlearn-inspector", "csrlearn-matcher", "csrlearn-playground"):
                assert page.locator(f".jp-OutputArea-output > .{css}").count() == 1, css
        unexpected = page.locator(".csrlearn-error", has_text="Unexpected error")
        assert unexpected.count() == 0, f"{nb.name}: a widget shows a bug:\n{unexpected.first.inner_text()[:3000]}"

        _screenshot_notebook(page, nb)  # as the learner first sees it, after Run All
        _screenshot_widgets(page, nb)
        if page.locator(".csrlearn-matcher").count():
            verdict = _drive_matcher(page, mismatched_pair)
            assert verdict.startswith("MISMATCH"), verdict
            assert page.locator(".csrlearn-matcher").first.locator("li", has_text="different public keys").count()
        for builder in page.locator(".csrlearn-builder").all():  # Generate round-trips through the kernel
            builder.locator("button", has_text="Generate key and CSR").click()
            builder.locator(".csrlearn-ok", has_text="made a").wait_for(timeout=30_000)
            assert "BEGIN CERTIFICATE REQUEST" in builder.locator(".csrlearn-pem").first.inner_text()
            builder.locator(".lm-TabBar-tab", has_text="openssl").click()  # the recipe tab renders
            builder.locator(".csrlearn-pem", has_text="openssl req").wait_for(timeout=10_000)
        for inspector in page.locator(".csrlearn-inspector").all():
            inspector.locator(".lm-TabBar-tab", has_text="Lint").click()
            inspector.locator(".csrlearn-table, .csrlearn-good, i").first.wait_for(timeout=10_000)
        for playground in page.locator(".csrlearn-playground").all():  # a toggle updates the verdict
            playground.locator("label", has_text="renew with a new key").click()
            playground.locator(".csrlearn-verdict", has_text="MISMATCH").wait_for(timeout=30_000)
            playground.locator("label", has_text="renew with a new key").click()
            playground.locator(".csrlearn-verdict", has_text=re.compile(r"^MATCH")).wait_for(timeout=30_000)
        _screenshot_widgets(page, nb, "-after-clicks")
        assert not console_errors, f"{nb.name}: JavaScript errors: {console_errors}"
    finally:
        _open_only(page, None)
        _stop_kernels(lab)


def _screenshot_notebook(page, nb: Path) -> None:
    """The whole notebook in one image: the viewport grows to the notebook's height (and stays so)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{nb.stem}*.png"):
        old.unlink()
    scroll_top = """() => {
        const el = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')
                || document.querySelector('.jp-NotebookPanel .jp-Notebook');
        if (!el) return 1000;
        el.scrollTop = 0;
        return el.scrollHeight;
    }"""
    height = page.evaluate(scroll_top)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(int(height) + 120, 1000), 16000)})
    page.wait_for_timeout(300)  # let the layout settle after the resize
    page.evaluate(scroll_top)
    page.locator(".jp-NotebookPanel").first.screenshot(path=str(SCREENSHOTS / f"{nb.stem}.png"))


def _screenshot_widgets(page, nb: Path, suffix: str = "") -> None:
    """Each widget in its own image, at full resolution (taken in the tall viewport, so none is cut off)."""
    widgets = page.locator(".jp-OutputArea-output > .jupyter-widgets")
    for i in range(widgets.count()):
        widgets.nth(i).scroll_into_view_if_needed()
        widgets.nth(i).screenshot(path=str(SCREENSHOTS / f"{nb.stem}-widget-{i + 1}{suffix}.png"))
