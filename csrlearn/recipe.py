"""The same key and CSR with openssl alone: ``csrlearn new … --openssl`` prints this recipe.

The best place to make a private key is the server where it will live: then it never travels. That
server may have openssl but not Python, so csrlearn can print a shell snippet — an openssl config
with the subject and the SANs, and the ``openssl req`` command — that makes an equivalent key and CSR
there. Nothing is written when the recipe is made; the snippet writes NAME.cnf, NAME.key (0600) and
NAME.csr in the directory where it runs, and refuses to overwrite an existing key or CSR.
"""
from __future__ import annotations

import re
from typing import Iterable

from cryptography import x509

from .errors import ValidationError
from .names import Subject, _FIELDS, file_stem, parse_sans

__all__ = ["openssl_recipe", "openssl_config"]

_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
# Characters openssl's config parser treats specially inside values: escapes, quotes, $variables, #comments.
_CONF_SPECIAL = re.compile(r"([\\$#\"'])")
_SAN_KEYS = {x509.DNSName: "DNS", x509.IPAddress: "IP", x509.RFC822Name: "email",
             x509.UniformResourceIdentifier: "URI"}
_EOF = "CSRLEARN_EOF"


def _conf_value(value: str) -> str:
    """A value as openssl's config parser reads it back unchanged (``$HOME`` stays literal, ``#`` is no comment)."""
    if "\n" in value or "\r" in value:
        raise ValidationError("a subject or SAN value contains a line break")
    return _CONF_SPECIAL.sub(r"\\\1", value)


def openssl_config(subject: Subject | str | None, sans: Iterable[str | x509.GeneralName] = ()) -> str:
    """The openssl ``req`` config: a ``[dn]`` section with the subject and an ``[alt_names]`` section with the SANs.

    ``prompt = no`` makes openssl take the values as written; ``utf8``/``string_mask`` make it encode text as
    UTF-8, the way csrlearn (and every CA) does.
    """
    if isinstance(subject, str):
        subject = Subject.parse(subject)
    subject = subject or Subject()
    names = parse_sans(list(sans))
    lines = ["[ req ]", "prompt             = no", "utf8               = yes", "string_mask        = utf8only",
             "distinguished_name = dn"]
    if names:
        lines.append("req_extensions     = ext")
    lines += ["", "[ dn ]"]
    for field, (_, short, _) in _FIELDS.items():  # openssl adds them in this order: C, ST, L, O, OU, CN, email
        value = getattr(subject, field)
        if value is not None:
            lines.append(f"{short:<12} = {_conf_value(value)}")
    if names:
        lines += ["", "[ ext ]", "subjectAltName = @alt_names", "", "[ alt_names ]"]
        counts: dict[str, int] = {}
        for gn in names:
            key = _SAN_KEYS.get(type(gn))
            if key is None:
                raise ValidationError(f"openssl's config cannot express a {type(gn).__name__} SAN here")
            counts[key] = counts.get(key, 0) + 1
            lines.append(f"{key}.{counts[key]:<3} = {_conf_value(str(gn.value))}")
    return "\n".join(lines) + "\n"


def _genpkey_args(key_type: str, bits: int, curve: str) -> str:
    if key_type == "rsa":
        return f"-algorithm RSA -pkeyopt rsa_keygen_bits:{bits}"
    if key_type == "ec":
        return f"-algorithm EC -pkeyopt ec_paramgen_curve:{curve}"
    return "-algorithm ED25519"


def _newkey_args(key_type: str, bits: int, curve: str) -> str:
    if key_type == "rsa":
        return f"-newkey rsa:{bits}"
    if key_type == "ec":
        return f"-newkey ec -pkeyopt ec_paramgen_curve:{curve}"
    return "-newkey ed25519"


def openssl_recipe(
    subject: Subject | str | None,
    sans: Iterable[str | x509.GeneralName] = (),
    *,
    key_type: str = "rsa",
    bits: int = 2048,
    curve: str = "P-256",
    encrypt: bool = False,
    name: str | None = None,
) -> str:
    """A bash snippet that makes NAME.key and NAME.csr with openssl alone, equivalent to ``csrlearn new``.

    Same subject (field order and UTF-8 encoding), same SANs in the same order, same key type and size,
    SHA-256 signature; NAME is ``name``, else the CN (or first SAN) as ``csrlearn new`` names its files. With ``encrypt`` the snippet asks for a passphrase twice (never on the command line)
    and encrypts the key with AES-256 (``openssl req`` alone would pick 3DES).
    """
    from .keys import CURVES, RSA_SIZES, _curve
    key_type = key_type.lower()
    if key_type not in ("rsa", "ec", "ed25519"):
        raise ValidationError(f"key type must be rsa, ec or ed25519, but it was {key_type!r}")
    if key_type == "rsa" and bits not in RSA_SIZES:
        raise ValidationError(f"RSA key size must be one of {', '.join(map(str, RSA_SIZES))}, but it was {bits}")
    if key_type == "ec":
        curve = next(k for k, v in CURVES.items() if v is _curve(curve))  # canonical P-256 / P-384 / P-521
    if isinstance(subject, str):
        subject = Subject.parse(subject)
    subject = subject or Subject()
    names = parse_sans(list(sans))
    if subject.is_empty() and not names:
        raise ValidationError("a CSR needs a common name or at least one SAN")
    name = file_stem(subject, names) if name is None else name
    if not _NAME_RE.fullmatch(name):
        raise ValidationError(f"file name stem {name!r} must be letters, digits, dots, hyphens or underscores")
    config = openssl_config(subject, names)
    if _EOF in config:
        raise ValidationError(f"a value contains {_EOF!r}, which ends the recipe's here-document")
    key_words = {"rsa": f"RSA {bits}", "ec": f"EC {curve}", "ed25519": "Ed25519"}[key_type]
    digest = "" if key_type == "ed25519" else " -sha256"  # Ed25519 hashes internally: openssl refuses a digest
    empty = " -subj /" if subject.is_empty() else ""  # an empty [dn] section needs an explicit empty subject
    out = [
        f"# csrlearn: make {name}.key ({key_words}{', encrypted' if encrypt else ''}) and {name}.csr with openssl alone.",
        "# Run it on the server where the key will live, so the private key never travels. It writes",
        f"# {name}.cnf, {name}.key (mode 0600) and {name}.csr here, and never overwrites an existing key or CSR.",
        "(",
        "set -eu",
        f"for f in {name}.key {name}.csr; do",
        '  if [ -e "$f" ]; then echo "$f already exists: not overwriting it (move it away or choose another name)" >&2; '
        "exit 1; fi",
        "done",
        f"cat > {name}.cnf <<'{_EOF}'",
        config.rstrip("\n"),
        _EOF,
    ]
    if encrypt:
        out += [
            f'read -rs -p "Passphrase for {name}.key: " CSRLEARN_PASS; echo >&2',
            'read -rs -p "Again, to confirm: " CSRLEARN_PASS2; echo >&2',
            'if [ "$CSRLEARN_PASS" != "$CSRLEARN_PASS2" ]; then echo "the passphrases differ: nothing was made" >&2; '
            "exit 1; fi",
            'if [ -z "$CSRLEARN_PASS" ]; then echo "the passphrase is empty: nothing was made" >&2; exit 1; fi',
            "export CSRLEARN_PASS  # handed to openssl through the environment, never on its command line",
            f"openssl genpkey {_genpkey_args(key_type, bits, curve)} -aes-256-cbc -pass env:CSRLEARN_PASS "
            f"-out {name}.key",
            f"openssl req -new -key {name}.key -passin env:CSRLEARN_PASS{digest} -config {name}.cnf{empty} "
            f"-out {name}.csr",
        ]
    else:
        out.append(f"openssl req -new {_newkey_args(key_type, bits, curve)}{digest} -nodes -keyout {name}.key "
                   f"-config {name}.cnf{empty} -out {name}.csr")
    out += [
        f"chmod 600 {name}.key",
        f'echo "wrote {name}.key (private key: keep it here) and {name}.csr (send this one to your CA)"',
        ")",
        f"# Check it: openssl req -in {name}.csr -noout -text -verify   or: csrlearn lint {name}.csr",
    ]
    return "\n".join(out) + "\n"
