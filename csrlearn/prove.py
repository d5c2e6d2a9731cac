"""Proof of possession: does this private key really belong to that certificate or CSR?

Comparing moduli or fingerprints (``match``) compares public halves only. ``prove(key, cert)`` does
what a TLS handshake does: it signs a fresh random challenge with the private key and verifies the
signature with the public key inside the certificate (or CSR). Only the matching private key can
make a signature that verifies, so a ``Proof`` with ``ok=True`` is the real answer.

    >>> import csrlearn as cl
    >>> key = cl.generate_key("ec")
    >>> csr = cl.build_csr(key, cl.Subject(common_name="www.example.com"), ["www.example.com"])
    >>> cl.prove(key, csr).ok
    True
    >>> cl.prove(cl.generate_key("ec"), csr).ok
    False
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from .errors import InputError, UnsupportedKeyError, ValidationError

__all__ = ["prove", "Proof", "CHALLENGE_BYTES"]

# 32 random bytes: as long as a TLS random, far too many to guess or replay.
CHALLENGE_BYTES = 32

_OTHER_WORDS = {"certificate": "the certificate", "csr": "the CSR", "public_key": "the public key"}


@dataclass(frozen=True, repr=False)
class Proof:
    """The outcome of ``prove``: ``ok``, a one-sentence ``reason``, and the facts behind it.

    ``key_type`` / ``other_key_type`` are like ``"RSA 2048"`` or ``"EC P-256"``; ``scheme`` is the
    signature scheme used (``"RSA-PSS SHA-256"``, ``"ECDSA SHA-256"``, ``"Ed25519"``); ``challenge_sha256``
    identifies the random challenge that was signed (it is not secret, and never reused).
    """

    ok: bool
    reason: str
    key_type: str
    other_kind: str  # certificate | csr | public_key
    other_key_type: str
    scheme: str
    key_spki_sha256: str
    other_spki_sha256: str
    challenge_sha256: str
    key_source: str | None = None
    other_source: str | None = None

    def __bool__(self) -> bool:
        return self.ok

    def rows(self) -> list[tuple[str, str]]:
        other = _OTHER_WORDS.get(self.other_kind, self.other_kind)
        rows = [("Private key", f"{self.key_type}" + (f" ({self.key_source})" if self.key_source else "")),
                (other.replace("the ", "").capitalize(), f"{self.other_key_type}"
                 + (f" ({self.other_source})" if self.other_source else "")),
                ("Signature scheme", self.scheme or "—"),
                ("Random challenge (SHA-256 of it)", self.challenge_sha256 or "—"),
                ("Private key's public half, SPKI SHA-256", self.key_spki_sha256),
                (f"{other.replace('the ', '').capitalize()}'s public key, SPKI SHA-256", self.other_spki_sha256)]
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reason": self.reason, "key_type": self.key_type, "other_kind": self.other_kind,
                "other_key_type": self.other_key_type, "scheme": self.scheme,
                "key_spki_sha256": self.key_spki_sha256, "other_spki_sha256": self.other_spki_sha256,
                "challenge_sha256": self.challenge_sha256, "key_source": self.key_source,
                "other_source": self.other_source}

    def __str__(self) -> str:
        from .render import proof_text
        return proof_text(self)

    def _repr_html_(self) -> str:
        from .render import proof_html
        return proof_html(self)

    def __repr__(self) -> str:
        return f"Proof(ok={self.ok}, {self.key_type} vs {self.other_kind} {self.other_key_type})"


def _private_key(key: Any, passphrase: Any) -> tuple[Any, str | None]:
    """The private key from an object, Item or file — loaded with full validation (check_keys=True)."""
    from .files import Item, is_source, load
    if isinstance(key, Item):
        if key.kind != "private_key":
            raise InputError(f"{key.name}: is a {key.kind.replace('_', ' ')}, not a private key: "
                             f"give the private key first, then the certificate or CSR")
        return key.obj, key.name
    if is_source(key):
        items = load(key, passphrase=passphrase, check_keys=True)
        path = items[0].path or "<input>"
        keys = [i for i in items if i.kind == "private_key"]
        if not keys:
            kinds = ", ".join(sorted({i.kind.replace("_", " ") for i in items}))
            raise InputError(f"{path}: holds no private key (it holds: {kinds}): give the private key first, "
                             f"then the certificate or CSR")
        if len(keys) > 1:
            raise InputError(f"{path}: holds {len(keys)} private keys: split the file")
        return keys[0].obj, keys[0].path
    if hasattr(key, "private_bytes") and hasattr(key, "public_key"):
        return key, None
    raise InputError(f"the first argument must be a private key, but it is a {type(key).__name__}: "
                     f"give the private key first, then the certificate or CSR")


def _other(other: Any) -> tuple[Any, str, str | None]:
    """(object, kind, source) for the certificate, CSR or public key that should hold the key's public half."""
    from .describe import kind_of
    from .files import Item, is_source, load
    if isinstance(other, Item):
        if other.kind == "private_key":
            raise InputError(f"{other.name}: is a private key; the second argument is the certificate or CSR")
        return other.obj, other.kind, other.name
    if is_source(other):
        loaded = load(other, check_keys=False)
        items = [i for i in loaded if i.role != "chain" and i.kind != "private_key"]
        path = loaded[0].path or "<input>"
        if not items:
            raise InputError(f"{path}: holds no certificate, CSR or public key to check the key against")
        if len(items) > 1:
            kinds = ", ".join(i.kind.replace("_", " ") for i in items)
            raise InputError(f"{path}: holds {len(items)} items ({kinds}): give one certificate or CSR")
        return items[0].obj, items[0].kind, items[0].path
    kind = kind_of(other)
    if kind == "private_key":
        raise InputError("the second argument is a private key; give the certificate or CSR it should match")
    return other, kind, None


def prove(key: Any, other: Any, *, passphrase: str | bytes | None = None, rsa_padding: str = "pss") -> Proof:
    """Sign a fresh random challenge with ``key`` and verify it with ``other``'s public key.

    ``key`` is a private key (object, ``Item``, or a path/PEM; ``passphrase`` opens an encrypted one);
    ``other`` a certificate, CSR or public key (object, ``Item`` or path; a full-chain file counts as its
    leaf). RSA signs with PSS by default (``rsa_padding="pkcs1v15"`` for the older scheme), EC with ECDSA
    SHA-256, Ed25519/Ed448 with the pure algorithm. This is ``openssl dgst -sha256 -sign KEY`` followed by
    ``openssl dgst -sha256 -verify PUBKEY -signature SIG`` with the certificate's public key.
    """
    from .keys import key_params
    from .match import fingerprint
    if rsa_padding not in ("pss", "pkcs1v15"):
        raise ValidationError(f"rsa_padding must be 'pss' or 'pkcs1v15', but it was {rsa_padding!r}")
    priv, key_source = _private_key(key, passphrase)
    obj, kind, other_source = _other(other)
    pub = obj.public_key() if isinstance(obj, (x509.Certificate, x509.CertificateSigningRequest)) else obj
    kp, op = key_params(priv), key_params(pub)
    words = _OTHER_WORDS.get(kind, kind)
    common = dict(key_type=str(kp), other_kind=kind, other_key_type=str(op), key_spki_sha256=fingerprint(priv),
                  other_spki_sha256=fingerprint(pub), key_source=key_source, other_source=other_source)
    if kp.algorithm != op.algorithm or (kp.algorithm == "EC" and kp.curve != op.curve):
        return Proof(False, f"the private key is {kp} but {words} holds an {op} key: they cannot be a pair "
                            f"(the {words.replace('the ', '')} was made from another key)", scheme="",
                     challenge_sha256="", **common)
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    scheme, sign, verify = _scheme(priv, pub, rsa_padding)
    signature = sign(challenge)
    try:
        verify(signature, challenge)
        ok = True
    except InvalidSignature:
        ok = False
    digest = hashlib.sha256(challenge).hexdigest()
    if ok:
        reason = (f"the private key signed a fresh {CHALLENGE_BYTES}-byte challenge and the signature verifies "
                  f"with {words}'s public key: this key belongs to {words}")
    else:
        reason = (f"a signature made with the private key does not verify with {words}'s public key: both are "
                  f"{kp}, but they are different keys ({words.replace('the ', '')} key SPKI SHA-256 "
                  f"{common['other_spki_sha256'][:16]}…, private key's {common['key_spki_sha256'][:16]}…); "
                  f"renewed with a new key, or the wrong file?")
    return Proof(ok, reason, scheme=scheme, challenge_sha256=digest, **common)


def _scheme(priv: Any, pub: Any, rsa_padding: str) -> tuple[str, Any, Any]:
    """(name, sign(data), verify(signature, data)) for the key type."""
    if isinstance(priv, rsa.RSAPrivateKey):
        if rsa_padding == "pss":
            pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
            name = "RSA-PSS SHA-256"
        else:
            pad = padding.PKCS1v15()
            name = "RSA PKCS#1 v1.5 SHA-256"
        return (name, lambda d: priv.sign(d, pad, hashes.SHA256()),
                lambda s, d: pub.verify(s, d, pad, hashes.SHA256()))
    if isinstance(priv, ec.EllipticCurvePrivateKey):
        alg = ec.ECDSA(hashes.SHA256())
        return "ECDSA SHA-256", lambda d: priv.sign(d, alg), lambda s, d: pub.verify(s, d, alg)
    if isinstance(priv, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        name = "Ed25519" if isinstance(priv, ed25519.Ed25519PrivateKey) else "Ed448"
        return name, lambda d: priv.sign(d), lambda s, d: pub.verify(s, d)
    if isinstance(priv, dsa.DSAPrivateKey):
        return ("DSA SHA-256", lambda d: priv.sign(d, hashes.SHA256()),
                lambda s, d: pub.verify(s, d, hashes.SHA256()))
    raise UnsupportedKeyError(f"cannot sign with a {type(priv).__name__}: csrlearn proves RSA, EC and Ed25519 keys")
