"""Interactive forms for the notebooks: each is one ipywidgets ``VBox`` around one csrlearn call.

    >>> from csrlearn.widgets import CsrBuilder, CsrInspector, Matcher, MismatchPlayground
    >>> CsrBuilder()            # key type, subject, SANs, passphrase -> CSR, decoded, lint, openssl, save
    >>> CsrInspector()          # paste or upload a PEM/DER file -> decoded table, lint, byte map
    >>> Matcher(["site.key", "site.crt"])   # which files share a public key, and why not
    >>> MismatchPlayground()    # break a working key/CSR/certificate trio on purpose and read the verdict

This is the only module of csrlearn that imports ipywidgets (``import csrlearn`` never loads it). The
logic lives in the library; a widget only reads its controls, calls the library and shows the result.
Every result and every error is shown *inside* the widget (HTML areas, never an ``Output`` that could lose
it and never the kernel log), so the same code works in JupyterLab and in a plain pytest run: set
``.value``, call ``.click()``, read the ``.value`` of the display areas.
"""
from __future__ import annotations

import dataclasses
import html
import os
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable

import ipywidgets as W

import csrlearn
from .errors import CsrLearnError
from .names import file_stem

__all__ = ["CsrBuilder", "CsrInspector", "Matcher", "MismatchPlayground"]

# Wide enough for "Organizational unit" so descriptions are never cut off.
_DESC = {"description_width": "150px"}
_FIELD = W.Layout(width="460px")
_CSS = (
    "<style>.csrlearn-error{color:#b00020;background:#fdecee;border:1px solid #f5c2c7;padding:6px 10px;"
    "border-radius:4px;font-family:system-ui,sans-serif;font-size:13px;white-space:pre-wrap}"
    ".csrlearn-ok{color:#1b5e20;background:#eaf6ec;border:1px solid #b7dfbf;padding:6px 10px;border-radius:4px;"
    "font-family:system-ui,sans-serif;font-size:13px}"
    ".csrlearn-pem{font-family:monospace;font-size:12px;line-height:1.3;background:#f7f7f7;border:1px solid #ddd;"
    "padding:6px 8px;margin:0;white-space:pre;overflow-x:auto;max-height:320px}"
    ".csrlearn-verdict{font-family:system-ui,sans-serif;font-size:18px;font-weight:bold;padding:6px 12px;"
    "border-radius:4px;display:inline-block;margin:4px 0}"
    ".csrlearn-verdict-match{color:#fff;background:#1b7f3b}.csrlearn-verdict-mismatch{color:#fff;background:#b00020}"
    ".csrlearn-verdict-error{color:#fff;background:#8a4b00}.csrlearn-verdict-empty{color:#444;background:#eee}"
    ".csrlearn-hint{color:#555;font-family:system-ui,sans-serif;font-size:12px}"
    ".csrlearn-warn{color:#6b3d00;background:#fff4e0;border:1px solid #f0c98a;padding:6px 10px;border-radius:4px;"
    "font-family:system-ui,sans-serif;font-size:13px}"
    # ipywidgets gives HTML areas the line height of one input row (28 px): tables of prose need less
    ".csrlearn-form .widget-html-content{line-height:1.45}"
    "</style>")


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _error_html(exc: BaseException) -> str:
    """A CsrLearnError as its one-line message; anything else (a bug) with its traceback, inside the widget."""
    if isinstance(exc, CsrLearnError):
        return f"{_CSS}<div class='csrlearn-error'><b>Error:</b> {_esc(exc)}</div>"
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return (f"{_CSS}<div class='csrlearn-error'><b>Unexpected error ({_esc(type(exc).__name__)}):</b> {_esc(exc)}"
            f"<details><summary>traceback (please report it)</summary><pre>{_esc(tb)}</pre></details></div>")


def _ok_html(message: str, *, warn: bool = False) -> str:
    """A status line: green when all is well, amber when it worked but lint found something to fix."""
    return f"{_CSS}<div class='csrlearn-{'warn' if warn else 'ok'}'>{_esc(message)}</div>"


def _pre(text: str) -> str:
    return f"{_CSS}<pre class='csrlearn-pem'>{_esc(text)}</pre>"


def _title(text: str, hint: str = "") -> W.HTML:
    sub = f"<div class='csrlearn-hint'>{_esc(hint)}</div>" if hint else ""
    return W.HTML(f"{_CSS}<div style='font:bold 16px system-ui,sans-serif;margin:2px 0'>{_esc(text)}</div>{sub}")


def _verdict_html(verdict: str, detail: str = "") -> str:
    """The big verdict badge; its first word (MATCH / MISMATCH / ERROR) is what tests and learners read."""
    word = {"match": "MATCH", "mismatch": "MISMATCH", "error": "ERROR"}.get(verdict, "")
    text = f"{word}: {detail}" if word and detail else (word or detail)
    return f"{_CSS}<span class='csrlearn-verdict csrlearn-verdict-{verdict or 'empty'}'>{_esc(text)}</span>"


def _scroll(fragment: str) -> str:
    """Wide tables (many keys) scroll sideways inside the widget instead of being cut off."""
    return f"<div style='overflow-x:auto;max-width:100%'>{fragment}</div>"


def _uploaded(upload: W.FileUpload) -> list[tuple[str, bytes]]:
    """(file name, bytes) for every file in a FileUpload (ipywidgets 8: a tuple of dicts, content a memoryview)."""
    return [(f["name"], bytes(f["content"])) for f in upload.value]


class _Form(W.VBox):
    """Shared plumbing: every callback runs through ``_run`` so its error lands in ``self.status``."""

    status: W.HTML
    last_error: BaseException | None = None

    def _run(self, action: Callable[[], Any]) -> Any:
        self.status.value = ""
        self.last_error = None
        try:
            return action()
        except Exception as e:  # shown in the widget, kept for the caller: never swallowed
            self.last_error = e
            self.status.value = _error_html(e)
            return None

    def _on(self, action: Callable[[], Any]) -> Callable[[Any], None]:
        return lambda *_: self._run(action)


# ------------------------------------------------------------------------------------------ CSR builder

class CsrBuilder(_Form):
    """Make a key and a CSR from a form: what ``openssl req -new -newkey … -subj … -addext subjectAltName=…`` does.

    Shows the CSR (PEM), its decoded fields, the lint findings, the equivalent openssl recipe, and saves the
    key (0600, encrypted if a passphrase is given) and the CSR next to each other, never over existing files.
    The private key stays in memory (``.key``) and is never displayed.
    """

    def __init__(self, common_name: str = "www.example.com", sans: Iterable[str] = ("www.example.com",),
                 *, key_type: str = "rsa", directory: str | os.PathLike = ".") -> None:
        self.key: Any = None
        self.csr: Any = None
        # RSA 2048 and P-256 by default: every CA accepts them and they are quick to make.
        self.key_type = W.Dropdown(options=[("RSA", "rsa"), ("EC (ECDSA)", "ec"), ("Ed25519", "ed25519")],
                                   value=key_type, description="Key type", style=_DESC)
        self.bits = W.Dropdown(options=[2048, 3072, 4096], value=2048, description="RSA size (bits)", style=_DESC)
        self.curve = W.Dropdown(options=["P-256", "P-384", "P-521"], value="P-256", description="EC curve",
                                style=_DESC)
        self.common_name = W.Text(common_name, description="Common name (CN)", style=_DESC, layout=_FIELD)
        self.organization = W.Text("", description="Organization (O)", style=_DESC, layout=_FIELD)
        self.organizational_unit = W.Text("", description="Org. unit (OU)", style=_DESC, layout=_FIELD)
        self.locality = W.Text("", description="Locality (L)", style=_DESC, layout=_FIELD)
        self.state = W.Text("", description="State (ST)", style=_DESC, layout=_FIELD)
        self.country = W.Text("", description="Country (C)", placeholder="two letters, e.g. US",
                              style=_DESC, layout=_FIELD)
        self.email = W.Text("", description="Email", style=_DESC, layout=_FIELD)
        self.sans = W.Textarea("\n".join(sans), description="SANs, one a line", placeholder="www.example.com\n"
                               "example.com\n203.0.113.7", style=_DESC, layout=W.Layout(width="460px", height="90px"))
        self.cn_as_san = W.Checkbox(True, description="also put the CN in the SANs (browsers read only SANs)",
                                    indent=False, layout=W.Layout(width="460px"))
        self.passphrase = W.Password("", description="Key passphrase", placeholder="optional: encrypts the saved key",
                                     style=_DESC, layout=_FIELD)
        self.generate = W.Button(description="Generate key and CSR", button_style="primary", icon="key",
                                 layout=W.Layout(width="220px"))
        self.status = W.HTML()
        self.pem = W.HTML("<i>press Generate</i>")
        self.summary = W.HTML()
        self.lint = W.HTML()
        self.recipe = W.HTML()
        self.directory = W.Text(os.fspath(directory), description="Save in directory", style=_DESC, layout=_FIELD)
        self.name = W.Text("", description="File name (no ext.)", placeholder="from the CN", style=_DESC,
                           layout=_FIELD)
        self.save_button = W.Button(description="Save key and CSR", icon="save", layout=W.Layout(width="220px"))
        self.save_status = W.HTML()
        self.outputs = W.Tab(children=[self.pem, self.summary, self.lint, self.recipe,
                                       W.VBox([self.directory, self.name, self.save_button, self.save_status])])
        self.outputs.titles = ("CSR (PEM)", "Decoded", "Lint", "openssl", "Save")

        self.key_type.observe(self._on(self._show_key_options), names="value")
        self.generate.on_click(self._on(self.build))
        self.save_button.on_click(self._on_save)
        self._show_key_options()
        fields = W.GridBox([self.common_name, self.organization, self.organizational_unit, self.locality,
                            self.state, self.country, self.email, self.passphrase],
                           layout=W.Layout(grid_template_columns="repeat(2, 470px)"))
        super().__init__([
            _title("CSR builder", "Step 1: the key · Step 2: who it is for · Step 3: sign the request"),
            W.HBox([self.key_type, self.bits, self.curve]), fields, W.HBox([self.sans, self.cn_as_san]),
            W.HBox([self.generate]), self.status, self.outputs,
        ])
        self.add_class("csrlearn-builder")
        self.add_class("csrlearn-form")

    @property
    def csr_pem(self) -> str:
        """The CSR as PEM text ("" before Generate) — what you paste into a CA's order form."""
        if self.csr is None:
            return ""
        from cryptography.hazmat.primitives.serialization import Encoding
        return self.csr.public_bytes(Encoding.PEM).decode("ascii")

    def _show_key_options(self) -> None:
        kind = self.key_type.value
        self.bits.layout.display = None if kind == "rsa" else "none"
        self.curve.layout.display = None if kind == "ec" else "none"

    def subject(self) -> Any:
        """The form's subject fields as a validated ``csrlearn.Subject`` (blank fields left out)."""
        values = {f: getattr(self, f).value.strip() for f in
                  ("common_name", "organization", "organizational_unit", "locality", "state", "country", "email")}
        return csrlearn.Subject(**{k: v for k, v in values.items() if v})

    def san_list(self) -> list[str]:
        """The SANs as typed, one a line; with the checkbox, the CN first (duplicates are dropped by the library)."""
        lines = [s.strip() for s in self.sans.value.splitlines() if s.strip()]
        cn = self.common_name.value.strip()
        return ([cn] if cn and self.cn_as_san.value else []) + lines

    def build(self) -> Any:
        """Generate the key, build and sign the CSR, and fill every output tab. Returns the CSR."""
        for area in (self.summary, self.lint, self.recipe, self.save_status):
            area.value = ""
        self.key = self.csr = None
        self.pem.value = "<i>press Generate</i>"
        subject, sans = self.subject(), self.san_list()
        csrlearn.parse_sans(sans)  # check every SAN before spending time on the key
        key = csrlearn.generate_key(self.key_type.value, bits=self.bits.value, curve=self.curve.value)
        csr = csrlearn.build_csr(key, subject, sans)
        self.key, self.csr = key, csr
        self.pem.value = _pre(self.csr_pem)
        info = csrlearn.describe(csr)
        self.summary.value = info._repr_html_()
        findings = csrlearn.lint(csr)
        self.lint.value = findings._repr_html_()
        recipe = csrlearn.openssl_recipe(subject, sans, key_type=self.key_type.value, bits=self.bits.value,
                                         curve=self.curve.value, encrypt=bool(self.passphrase.value),
                                         name=file_stem(subject, sans))
        self.recipe.value = ("<div class='csrlearn-hint'>the same key and CSR with openssl alone "
                             "(paste it into a shell on the server):</div>" + _pre(recipe))
        if not self.name.value.strip():
            self.name.placeholder = file_stem(subject, sans)
        self.status.value = _ok_html(f"made an {info.key} key and a CSR for {info.subject or sans[0]} — "
                                     f"SPKI SHA-256 {info.spki_sha256[:16]}… · {_lint_summary(findings)}",
                                     warn=bool(findings.errors or findings.warnings))
        return csr

    def save(self) -> tuple[Path, Path]:
        """Write NAME.key (0600) and NAME.csr into the directory; refuse if either exists (nothing is written)."""
        if self.key is None or self.csr is None:
            raise csrlearn.InputError("nothing to save yet: press Generate first")
        directory = Path(self.directory.value.strip() or ".").expanduser()
        if not directory.is_dir():
            raise csrlearn.InputError(f"{directory}: no such directory: create it first or pick another")
        stem = self.name.value.strip() or self.name.placeholder or "request"
        key_path, csr_path = directory / f"{stem}.key", directory / f"{stem}.csr"
        # both files or neither (never half a pair), key 0600 from its first byte, nothing overwritten:
        # the same write as `csrlearn new`
        from .files import key_pem, write_group
        write_group([(key_path, key_pem(self.key, passphrase=self.passphrase.value or None), 0o600),
                     (csr_path, self.csr_pem.encode("ascii"), 0o644)])
        how = "encrypted with your passphrase" if self.passphrase.value else "not encrypted"
        self.save_status.value = _ok_html(f"saved {key_path} (mode 0600, {how}) and {csr_path}")
        return key_path, csr_path

    def _on_save(self, *_: Any) -> None:
        self.save_status.value = ""
        try:
            self.save()
            self.last_error = None
        except Exception as e:  # shown next to the Save button
            self.last_error = e
            self.save_status.value = _error_html(e)


def _lint_summary(findings: Any) -> str:
    """``lint: 1 error, 2 warnings (see the Lint tab)`` or ``lint: no findings``."""
    return f"lint: {findings.summary()} (see the Lint tab)" if findings else "lint: no findings"


# ----------------------------------------------------------------------------------------- CSR inspector

_PASTE_HINT = "-----BEGIN CERTIFICATE REQUEST-----\n…\n-----END CERTIFICATE REQUEST-----"


class CsrInspector(_Form):
    """Paste a PEM block or upload a file (PEM or DER): every field decoded, lint hints, the annotated bytes.

    What ``openssl req -in FILE -noout -text`` shows, as a table; certificates and keys are decoded too
    (a key shows its type and fingerprint, never its secret).
    """

    def __init__(self, text: str = "") -> None:
        """``text``: PEM to start with (decoded at once); the learner can replace it or upload a file."""
        self.items: list[Any] = []
        self.text = W.Textarea(text, placeholder=_PASTE_HINT, layout=W.Layout(width="620px", height="150px"))
        self.upload = W.FileUpload(accept="", multiple=False, description="Upload a file")
        self.passphrase = W.Password("", description="Passphrase", placeholder="only for an encrypted key",
                                     style={"description_width": "80px"}, layout=W.Layout(width="330px"))
        self.decode = W.Button(description="Decode", button_style="primary", icon="search")
        self.status = W.HTML()
        self.table = W.HTML()
        self.lint = W.HTML()
        self.byte_map = W.HTML()
        self.outputs = W.Tab(children=[self.table, self.lint, self.byte_map])
        self.outputs.titles = ("Decoded", "Lint", "Byte map")
        # bytes: pasted text is content, never a path on the server
        self.decode.on_click(self._on(lambda: self.inspect(self.text.value.encode("utf-8"), name="pasted")))
        self.upload.observe(self._on(self._inspect_upload), names="value")
        super().__init__([
            _title("CSR inspector", "paste a CSR, certificate or key (PEM), or upload a file (PEM or DER)"),
            self.text, W.HBox([self.decode, self.upload, self.passphrase]), self.status, self.outputs,
        ])
        self.add_class("csrlearn-inspector")
        self.add_class("csrlearn-form")
        if text.strip():  # given text is decoded at once, so the notebook opens on a filled-in example
            self._run(lambda: self.inspect(text.encode("utf-8"), name="pasted"))

    def _inspect_upload(self) -> None:
        files = _uploaded(self.upload)
        if files:
            name, data = files[0]
            # show a PEM upload in the text box (to read and edit); a binary (DER) file is named instead
            is_pem = b"-----BEGIN" in data[:4096] and data.isascii()
            self.text.value = data.decode("ascii") if is_pem else ""
            self.text.placeholder = _PASTE_HINT if is_pem else f"(uploaded {name}: binary DER, decoded below)"
            self.inspect(data, name=name)

    def inspect(self, source: str | bytes | os.PathLike, *, name: str | None = None) -> list[Any]:
        """Decode everything in ``source`` (text, bytes or a path) and show it. Returns the loaded items."""
        self.table.value = self.lint.value = self.byte_map.value = ""
        self.items = []
        if isinstance(source, (str, bytes)) and not source.strip():
            raise csrlearn.InputError("nothing to decode: paste a PEM block or upload a file")
        items = csrlearn.load(source, passphrase=self.passphrase.value or None)
        if name and isinstance(source, (str, bytes)):
            items = [dataclasses.replace(i, path=name) for i in items]
        self.items = items
        self.table.value = "".join(csrlearn.describe(i)._repr_html_() for i in items)
        csrs = [i for i in items if i.kind == "csr"]
        findings = [csrlearn.lint(i) for i in csrs]
        self.lint.value = ("".join(f._repr_html_() for f in findings) if csrs else
                           "<i>lint checks CSRs; this input holds none</i>")
        # the byte map of the first item (a key's secret bytes are masked by the library)
        self.byte_map.value = csrlearn.byte_map(items[0])._repr_html_()
        kinds = ", ".join(i.kind.replace("_", " ") for i in items)
        lint = "".join(f" · {_lint_summary(f)}" for f in findings)
        self.status.value = _ok_html(f"{name or 'input'}: {len(items)} item(s): {kinds}{lint}",
                                     warn=any(f.errors or f.warnings for f in findings))
        return items


# -------------------------------------------------------------------------------------------------- Matcher

class Matcher(_Form):
    """Which of these keys, CSRs and certificates belong together? ``csrlearn.match`` as a form.

    Add files by upload, by pasting PEM text, or by a path on the server (a directory is walked). Shows the
    verdict (MATCH / MISMATCH / ERROR), the matrix of items by public key (one colour per key), RSA moduli side
    by side, and the plain-language explanation of every mismatch.
    """

    def __init__(self, paths: Iterable[str | os.PathLike] = ()) -> None:
        self.sources: dict[str, Any] = {}
        self.report: Any = None
        self.upload = W.FileUpload(accept="", multiple=True, description="Upload files")
        self.paste = W.Textarea("", placeholder="paste one or more PEM blocks here",
                                layout=W.Layout(width="520px", height="90px"))
        self.paste_name = W.Text("", placeholder="a name, e.g. server.crt", layout=W.Layout(width="200px"))
        self.add_paste = W.Button(description="Add pasted text", icon="paste")
        self.path = W.Text("", placeholder="/etc/ssl/private/server.key (a file or a directory)",
                           layout=W.Layout(width="520px"))
        self.add_path = W.Button(description="Add path", icon="folder-open")
        # sent when the learner presses Enter or leaves the box, not per keystroke (each try runs the KDF)
        self.passphrase = W.Password("", description="Passphrase", placeholder="only for encrypted keys",
                                     continuous_update=False, style={"description_width": "80px"},
                                     layout=W.Layout(width="330px"))
        self.clear = W.Button(description="Clear", icon="trash")
        self.status = W.HTML()
        self.files = W.HTML()
        self.verdict = W.HTML(_verdict_html("", "add two or more files to compare"))
        self.verdict.add_class("csrlearn-verdict-area")
        self.matrix = W.HTML()
        self.moduli = W.HTML()

        self.upload.observe(self._on(self._add_uploads), names="value")
        self.add_paste.on_click(self._on(lambda: self.add_text(self.paste.value, self.paste_name.value)))
        self.add_path.on_click(self._on(lambda: self.add(self.path.value)))
        self.clear.on_click(self._on(self.reset))
        self.passphrase.observe(self._on(self.refresh), names="value")
        super().__init__([
            _title("Matcher", "do this key, CSR and certificate belong together? (compares the public keys)"),
            W.HBox([self.path, self.add_path]),
            W.HBox([self.paste, W.VBox([self.paste_name, self.add_paste])]),
            W.HBox([self.upload, self.passphrase, self.clear]),
            self.status, self.files, self.verdict, self.matrix, self.moduli,
        ])
        self.add_class("csrlearn-matcher")
        self.add_class("csrlearn-form")
        if paths:
            self._run(lambda: self.add(*paths))

    def add(self, *paths: str | os.PathLike) -> Any:
        """Add files or directories on the server by path, then compare."""
        for p in paths:
            text = os.fspath(p).strip()
            if not text:
                raise csrlearn.InputError("no path given: type the path of a file or directory on the server")
            path = os.path.expanduser(text)
            self.sources[path] = path
        self.path.value = ""
        return self.refresh()

    def add_text(self, text: str | bytes, name: str = "") -> Any:
        """Add pasted PEM text (or uploaded bytes) under a display name, then compare."""
        if not (text.strip() if isinstance(text, str) else text):
            raise csrlearn.InputError("nothing pasted: paste a PEM block (-----BEGIN …) first")
        name = name.strip() or f"pasted-{len(self.sources) + 1}"
        while name in self.sources:
            name += "'"
        # bytes, so that text without a BEGIN line is read as content (and reported), never taken for a path
        self.sources[name] = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        self.paste.value = self.paste_name.value = ""
        return self.refresh()

    def _add_uploads(self) -> None:
        files = _uploaded(self.upload)
        for name, data in files:
            self.sources[name if name not in self.sources else f"{name} (upload {len(self.sources) + 1})"] = data
        if files:
            self.refresh()

    def reset(self) -> None:
        """Forget every file."""
        self.sources.clear()
        self.report = None
        self.upload.value = ()  # so the same files can be uploaded again
        self.files.value = self.matrix.value = self.moduli.value = ""
        self.verdict.value = _verdict_html("", "add two or more files to compare")

    def refresh(self) -> Any:
        """Run ``csrlearn.match`` on everything added and redraw. Returns the ``MatchReport``."""
        if not self.sources:
            self.reset()
            return None
        self.files.value = ("<div class='csrlearn-hint'>comparing: "
                            + ", ".join(_esc(n) for n in self.sources) + "</div>")
        report = csrlearn.match(dict(self.sources), passphrase=self.passphrase.value or None)
        self.report = report
        detail = {"match": f"all {len(report.entries)} items share one public key" if len(report.entries) > 1
                  else "only one item so far: add the file it should match",
                  "mismatch": f"{len(report.groups)} different public keys among {len(report.entries)} items",
                  "error": "; ".join(e for _, e in report.errors) or "nothing to compare"}[report.verdict]
        self.verdict.value = _verdict_html(report.verdict, detail)
        self.matrix.value = _scroll(report._repr_html_())
        from .render import moduli_html
        self.moduli.value = moduli_html(report)
        return report


# ---------------------------------------------------------------------------------------- playground

class MismatchPlayground(_Form):
    """Break a working server on purpose: a key, its CSR and a full-chain file from the training CA.

    Each toggle reproduces a classic support ticket — a certificate renewed with a new key, an EC
    certificate next to an RSA key, a chain file with the intermediate first — and the verdict and the
    explanation from ``csrlearn.match`` update at once.
    """

    def __init__(self, common_name: str = "www.example.com") -> None:
        ca = csrlearn.TrainingCA()
        sans = [common_name]
        subject = csrlearn.Subject(common_name=common_name)
        # The working trio (RSA, like most servers), plus the pieces the toggles swap in, made once.
        self._key = csrlearn.generate_key("rsa")
        self._csr = csrlearn.build_csr(self._key, subject, sans)
        self._cert = ca.issue(self._csr)
        self._renewed_cert = ca.issue(csrlearn.build_csr(csrlearn.generate_key("rsa"), subject, sans))
        self._ec_cert = ca.issue(csrlearn.build_csr(csrlearn.generate_key("ec"), subject, sans))
        self._ca = ca
        self.report: Any = None
        self.renew = W.Checkbox(False, description="renew with a new key (but keep the old key on the server)",
                                indent=False, layout=W.Layout(width="520px"))
        self.ec_cert = W.Checkbox(False, description="swap in an EC certificate (the key is RSA)", indent=False,
                                  layout=W.Layout(width="520px"))
        self.wrong_order = W.Checkbox(False, description="chain file in the wrong order (intermediate first)",
                                      indent=False, layout=W.Layout(width="520px"))
        self.status = W.HTML()
        self.files = W.HTML()
        self.verdict = W.HTML()
        self.verdict.add_class("csrlearn-verdict-area")
        self.matrix = W.HTML()
        for box in (self.renew, self.ec_cert, self.wrong_order):
            box.observe(self._on(self.refresh), names="value")
        super().__init__([
            _title("Mismatch playground", "server.key, server.csr and fullchain.pem started out matching: "
                                          "break them and read what csrlearn says"),
            self.renew, self.ec_cert, self.wrong_order, self.status, self.verdict, self.files, self.matrix,
        ])
        self.add_class("csrlearn-playground")
        self.add_class("csrlearn-form")
        self._run(self.refresh)

    def files_on_server(self) -> dict[str, bytes]:
        """The three files as the toggles make them: name -> PEM bytes (no key material leaves this dict)."""
        from cryptography.hazmat.primitives.serialization import Encoding
        from .files import key_pem
        cert = self._ec_cert if self.ec_cert.value else self._renewed_cert if self.renew.value else self._cert
        chain = [cert, *self._ca.chain]
        if self.wrong_order.value:
            chain.reverse()
        return {"server.key": key_pem(self._key), "server.csr": self._csr.public_bytes(Encoding.PEM),
                "fullchain.pem": b"".join(c.public_bytes(Encoding.PEM) for c in chain)}

    def refresh(self) -> Any:
        """Match the three files as they are now; show verdict, contents and explanation."""
        files = self.files_on_server()
        report = csrlearn.match(files)
        self.report = report
        self.verdict.value = _verdict_html(report.verdict, "server.key, server.csr and fullchain.pem share one key"
                                           if report.verdict == "match" else
                                           "; ".join(report.explanations[:1]) or report.verdict)
        rows = []
        for name, data in files.items():
            items = csrlearn.load(data)
            rows.append((name, "<br>".join(_esc(f"#{i.index} {i.kind.replace('_', ' ')}"
                                                f"{' (chain)' if i.role == 'chain' else ''}: "
                                                f"{csrlearn.describe(i).key}"
                                                f"{_subject_of(i)}") for i in items)))
        from .render import html_table
        self.files.value = html_table(rows, title="the files on the server", header=("file", "holds"), raw=True)
        self.matrix.value = report._repr_html_()
        return report


def _subject_of(item: Any) -> str:
    return f", {item.obj.subject.rfc4514_string()}" if item.kind in ("csr", "certificate") else ""
