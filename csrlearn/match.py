"""Do a certificate, a private key and a CSR belong together? Moduli, fingerprints and matching.

The classic runbook compares ``openssl x509|rsa|req -noout -modulus | openssl md5``; that only works
for RSA (for EC keys openssl prints the same junk line for every file, so every pair "matches").
csrlearn reproduces those lines exactly (``openssl_modulus_line``, ``modulus_md5``) and compares the
SHA-256 of the DER SubjectPublicKeyInfo instead (``fingerprint``), which works for every key type.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import CsrLearnError, InputError, UnsupportedKeyError
from .keys import KeyParams, key_params, public_key_of

__all__ = ["modulus", "openssl_modulus_line", "modulus_md5", "fingerprint", "match", "MatchReport",
           "MatchGroup", "MatchEntry"]

_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def modulus(obj: Any) -> int:
    """The RSA modulus n = p·q of a key, CSR or certificate (the number both halves of the pair share)."""
    pub = public_key_of(obj)
    if not isinstance(pub, rsa.RSAPublicKey):
        raise UnsupportedKeyError(
            f"only RSA keys have a modulus; this is an {key_params(pub)} key: compare fingerprints instead "
            f"(csrlearn fingerprint)")
    return pub.public_numbers().n


def openssl_modulus_line(obj: Any) -> str:
    """Exactly what ``openssl x509|req|rsa -noout -modulus`` prints: ``Modulus=`` and uppercase hex."""
    return f"Modulus={modulus(obj):X}"


def modulus_md5(obj: Any) -> str:
    """What ``… -noout -modulus | openssl md5`` prints after ``MD5(stdin)=``: the md5 of the line *and its newline*."""
    return hashlib.md5((openssl_modulus_line(obj) + "\n").encode("ascii")).hexdigest()


def modulus_md5_or_none(obj: Any) -> str | None:
    pub = public_key_of(obj)
    return modulus_md5(pub) if isinstance(pub, rsa.RSAPublicKey) else None


def fingerprint(obj: Any) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo: ``openssl pkey -pubout -outform DER | openssl dgst -sha256``.

    Any key type; equal for a private key and every CSR and certificate made from it.
    """
    return hashlib.sha256(public_key_of(obj).public_bytes(*_SPKI)).hexdigest()


# ---------------------------------------------------------------------------------------------- matching

@dataclass(frozen=True)
class MatchEntry:
    """One matched item, reduced to plain values (no key material, no DER kept in memory)."""

    file: str | None
    index: int
    kind: str
    format: str
    spki_sha256: str
    key: KeyParams
    role: str = ""
    # The details, for certificates and CSRs: filled in where a report shows or compares them (chain
    # certificates, items passed in as objects, the items explanations compare), None elsewhere: working
    # them out for every file of a folder took a third of the time.
    subject: str | None = None  # RFC 4514
    is_ca: bool = False
    modulus_md5: str | None = None
    # RSA only: the modulus as openssl prints it (uppercase hex), for side-by-side views; public, not secret.
    modulus_hex: str | None = field(default=None, repr=False)
    subject_der: bytes | None = field(default=None, repr=False)  # to tell "same name" exactly

    @property
    def name(self) -> str:
        return f"{self.file or '<input>'}#{self.index}"

    @property
    def label(self) -> str:
        """``server.key (private key)`` — how explanations name an item."""
        idx = f"#{self.index}" if self.index else ""
        return f"{self.file or '<input>'}{idx} ({self.kind.replace('_', ' ')})"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "index": self.index, "kind": self.kind}


@dataclass(frozen=True)
class MatchGroup:
    """Items that share one public key."""

    spki_sha256: str
    key: KeyParams
    items: tuple[MatchEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"spki_sha256": self.spki_sha256, "key": self.key.to_dict(),
                "items": [i.to_dict() for i in self.items]}


@dataclass(frozen=True)
class MatchReport:
    """The answer to "do these belong together?": groups by public key, with every mismatch explained."""

    groups: tuple[MatchGroup, ...]
    explanations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    chain: tuple[MatchEntry, ...] = field(default=(), repr=False)

    @property
    def verdict(self) -> str:
        """``match`` (one public key, every file read), ``mismatch`` or ``error``."""
        if self.errors or not self.groups:
            return "error"
        return "match" if len(self.groups) == 1 else "mismatch"

    @property
    def ok(self) -> bool:
        return self.verdict == "match"

    @property
    def entries(self) -> list[MatchEntry]:
        return [e for g in self.groups for e in g.items]

    def to_dict(self) -> dict[str, Any]:
        return {"groups": [g.to_dict() for g in self.groups], "explanations": list(self.explanations),
                "notes": list(self.notes), "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
                "errors": [{"file": f, "error": e} for f, e in self.errors], "verdict": self.verdict}

    def __str__(self) -> str:
        from .render import match_text
        return match_text(self)

    def __repr__(self) -> str:
        return (f"MatchReport(verdict={self.verdict!r}, groups={len(self.groups)}, items={len(self.entries)}, "
                f"skipped={len(self.skipped)}, errors={len(self.errors)})")

    def _repr_html_(self) -> str:
        from .render import match_html
        return match_html(self)


def _entry(item: Any, *, details: bool, known: dict[Any, dict[str, Any]]) -> MatchEntry:
    """``item`` reduced to plain values, each worked out once; with ``details`` its subject and CA flag too
    (``known``: the details of certificates already seen, as the same intermediate fills many chain files)."""
    pub = public_key_of(item.obj)
    mod_hex = mod_md5 = None
    if isinstance(pub, rsa.RSAPublicKey):  # what modulus_md5() and openssl_modulus_line() compute
        mod_hex = f"{pub.public_numbers().n:X}"
        mod_md5 = hashlib.md5(f"Modulus={mod_hex}\n".encode("ascii")).hexdigest()
    extra: dict[str, Any] = {}
    if details and item.kind in ("certificate", "csr"):
        if item.obj in known:
            extra = known[item.obj]
        else:
            extra = _details(item.obj)
            if len(known) < _KNOWN_MAX:
                known[item.obj] = extra
    return MatchEntry(item.path, item.index, item.kind, item.format,
                      hashlib.sha256(pub.public_bytes(*_SPKI)).hexdigest(), item.key, item.role,
                      modulus_md5=mod_md5, modulus_hex=mod_hex, **extra)


_KNOWN_MAX = 64  # distinct certificates whose details one match() keeps (a folder has a few intermediates)


def _details(obj: Any) -> dict[str, Any]:
    """The subject (RFC 4514 and DER) and CA flag of a certificate or CSR, as MatchEntry fields; {} if damaged."""
    try:
        subject = obj.subject
        is_ca = False
        if isinstance(obj, x509.Certificate):
            try:
                is_ca = bool(obj.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
            except x509.ExtensionNotFound:
                pass
        return {"subject": subject.rfc4514_string(), "subject_der": subject.public_bytes(), "is_ca": is_ca}
    except ValueError:  # a damaged name or extension: explain without it
        return {}


def _detailed(entry: MatchEntry, passphrase: str | bytes | None) -> MatchEntry:
    """``entry`` with its details, reading its file again if they were left out while reading a folder.

    Explanations need them for a handful of items at most (one per key, six keys at most), so a second
    read of those few files costs less than working the details out for every file. If the file has
    changed since, the entry comes back as it was, and the explanation goes without names.
    """
    if entry.kind not in ("certificate", "csr") or entry.subject_der is not None or not entry.file:
        return entry
    from .files import _load
    try:
        items = _load(entry.file, passphrase, False, all_fields=False)
    except (CsrLearnError, OSError):
        return entry
    for it in items:
        if it.index == entry.index and it.kind == entry.kind and fingerprint(it.obj) == entry.spki_sha256:
            return replace(entry, **_details(it.obj))
    return entry


def _iter_dir(root: str) -> Iterable[str]:
    """Every file below ``root``, sorted, without following directory symlinks (no loops)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            yield os.path.join(dirpath, name)


def match(
    sources: Iterable[Any] | Mapping[str, Any],
    *,
    passphrase: str | bytes | None = None,
    check_keys: bool = False,
    progress: Callable[[int], None] | None = None,
) -> MatchReport:
    """Group keys, CSRs and certificates by public key and explain every mismatch in plain words.

    ``sources``: paths (files or directories, walked recursively), loaded ``Item``s, cryptography
    objects, or a mapping of display names to any of those. From each file come its private keys,
    CSRs, public keys and its leaf (first) certificate; the other certificates of a chain file are its
    chain. Only the public half is read (``check_keys=True`` also validates RSA private keys).
    ``progress`` is called with the number of files read so far.
    """
    from .files import Item, _load, load

    entries: list[MatchEntry] = []
    chain: list[MatchEntry] = []
    skipped: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    count = 0

    known: dict[Any, dict[str, Any]] = {}

    def take(items: list[Any], *, details: bool = True) -> None:
        for it in items:
            if it.role != "chain":
                entries.append(_entry(it, details=details, known=known))
                continue
            entry = _entry(it, details=True, known=known)  # the report lists chain certificates by subject
            if entry.subject is None:
                errors.append((it.path or "<input>", f"{it.name}: the chain certificate is corrupted (its subject or "
                                                     f"extensions cannot be read): copy the file again"))
            chain.append(entry)

    def read(path: str, *, in_dir: bool) -> None:
        nonlocal count
        count += 1
        try:
            # details later, for the few entries explanations compare; issuers and dates never (not shown)
            take(_load(path, passphrase, check_keys, all_fields=False), details=False)
        except InputError as e:
            msg = str(e)
            if in_dir and getattr(e, "not_crypto", False):
                skipped.append((path, msg.split(": ", 1)[-1]))
            else:
                errors.append((path, msg))
        except CsrLearnError as e:
            errors.append((path, str(e)))
        if progress is not None:
            progress(count)

    named = sources.items() if isinstance(sources, Mapping) else ((None, s) for s in sources)
    for n, (name, src) in enumerate(named):
        if isinstance(src, Item):
            take([src])
        elif isinstance(src, (str, os.PathLike)) and not (isinstance(src, str) and "-----BEGIN" in src):
            p = os.fspath(src)
            if os.path.isdir(p):
                for f in _iter_dir(p):
                    read(f, in_dir=True)
            else:
                read(p, in_dir=False)
        elif isinstance(src, (bytes, str)):
            try:
                take([Item(i.kind, i.obj, name or i.path, i.format, i.index, i.role)
                      for i in load(src, passphrase=passphrase, check_keys=check_keys)])
            except CsrLearnError as e:
                errors.append((name or "<input>", str(e)))
        else:
            from .describe import kind_of  # only for objects passed in (not needed to read a folder)
            take([Item(kind_of(src), src, name or f"<{kind_of(src).replace('_', ' ')} {n + 1}>", "object", 0, "leaf"
                       if kind_of(src) == "certificate" else "")])

    groups: dict[str, list[MatchEntry]] = {}
    for e in entries:
        groups.setdefault(e.spki_sha256, []).append(e)
    group_list = tuple(MatchGroup(fp, items[0].key, tuple(items)) for fp, items in groups.items())
    if not entries and not errors:
        errors.append(("", "found no key, CSR or certificate to match"))
    explanations = _explain(group_list, chain, lambda e: _detailed(e, passphrase))
    notes = _notes(group_list)
    return MatchReport(group_list, tuple(explanations), tuple(notes), tuple(skipped), tuple(errors), tuple(chain))


# -------------------------------------------------------------------------------------- explanations

_RANK = {"private_key": 0, "certificate": 1, "csr": 2, "public_key": 3}


def _lead(group: MatchGroup) -> MatchEntry:
    return min(group.items, key=lambda e: _RANK[e.kind])


def _explain(groups: tuple[MatchGroup, ...], chain: list[MatchEntry],
             detailed: Callable[[MatchEntry], MatchEntry] = lambda e: e) -> list[str]:
    """Every mismatch in words; ``detailed`` gives an entry its subject and CA flag when they matter."""
    out: list[str] = []
    # A chain file in the wrong order: the leaf slot holds a certificate that matches nothing,
    # while a later certificate in the same file matches some key.
    keyed = {g.spki_sha256 for g in groups if any(e.kind in ("private_key", "csr") for e in g.items)}
    for c in chain:
        if c.spki_sha256 in keyed and not c.is_ca:
            first = next((detailed(e) for g in groups for e in g.items if e.file == c.file and e.kind == "certificate"),
                         None)
            what = "a CA certificate" if first and first.is_ca else "another certificate"
            out.append(f"{c.file}: the certificate that matches the key is #{c.index}, but the file starts with "
                       f"{what}: the chain is in the wrong order; put the server certificate first, then the "
                       f"intermediates (the order nginx and most servers expect)")
    if len(groups) <= 1:
        return out
    if len(groups) <= 6:
        leads = [detailed(_lead(g)) for g in groups]
        for i, a in enumerate(leads):
            for b in leads[i + 1:]:
                out.append(_explain_pair(a, b))
        return out
    out.append(f"the files hold {len(groups)} different public keys: each group below is one key pair")
    for g in groups:
        kinds = {e.kind for e in g.items}
        if "private_key" not in kinds and kinds & {"certificate", "csr"}:
            out.append(f"{_lead(g).label}: no private key among these files matches it")
    return out


def _explain_pair(a: MatchEntry, b: MatchEntry) -> str:
    """One sentence on why two items do not belong together, and what probably happened."""
    if _RANK[a.kind] > _RANK[b.kind]:
        a, b = b, a
    head = f"{a.label} and {b.label} hold different public keys"
    if a.key.algorithm != b.key.algorithm or a.key.curve != b.key.curve:
        hint = {("private_key", "certificate"): " (was the certificate requested with another key type?)",
                ("private_key", "csr"): " (was the CSR made with another key type?)",
                ("certificate", "csr"): " (the certificate was requested with another key type)"}.get((a.kind, b.kind), "")
        return f"{head}: one is {a.key}, the other {b.key}: they can never belong together{hint}"
    if a.key.algorithm == "RSA" and a.modulus_md5 and b.modulus_md5:
        detail = f" (modulus md5 {a.modulus_md5[:8]}… vs {b.modulus_md5[:8]}…)"
    elif a.key.algorithm in ("EC", "Ed25519", "Ed448"):
        detail = (" — the classic 'openssl … -modulus | openssl md5' check would wrongly call this a match, "
                  f"since {a.key.algorithm} keys have no modulus")
    else:
        detail = ""
    kinds = (a.kind, b.kind)
    same_subject = a.subject_der is not None and a.subject_der == b.subject_der
    if kinds == ("private_key", "certificate"):
        why = "the certificate was issued for another key: renewed with a new key, or the wrong key file?"
    elif kinds == ("private_key", "csr"):
        why = "the CSR was made from another key: make a new CSR from this key, or find the key it came from"
    elif kinds == ("certificate", "csr"):
        why = ("the certificate was not issued from this CSR" +
               (": same name, different key — a renewal with a new key?" if same_subject else ""))
    elif kinds == ("certificate", "certificate"):
        why = ("same name, different keys: one of them was renewed with a new key" if same_subject
               else "two certificates for different keys")
    elif kinds == ("private_key", "private_key"):
        why = "two different private keys"
    elif kinds == ("csr", "csr"):
        why = "two CSRs made from different keys"
    else:
        why = "they come from different key pairs"
    return f"{head}{detail}: {why}"


def _notes(groups: tuple[MatchGroup, ...]) -> list[str]:
    out = []
    for g in groups:
        keys = [e for e in g.items if e.kind == "private_key"]
        formats = {e.format for e in keys}
        if len(keys) > 1:
            files = ", ".join(e.label for e in keys)
            out.append(f"{files} are the same key stored {'in different formats' if len(formats) > 1 else 'more than once'}"
                       f": different bytes, same key pair — still a match")
    return out
