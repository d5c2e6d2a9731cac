"""A training certificate authority: turn a CSR into a certificate, as a public CA would, for practice.

``ca = TrainingCA(); cert = ca.issue(csr)`` copies the CSR's subject, SANs and public key into a
certificate signed by a throw-away intermediate, which is signed by a throw-away root.
``ca.fullchain(cert)`` is what nginx (and the "NGiNX / other" download of most CAs) expects: the server
certificate first, then the intermediate. Never use it outside a classroom: its keys live in memory.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import InputError
from .keys import public_key_of

__all__ = ["TrainingCA"]


def _now() -> _dt.datetime:
    # timezone-aware, so validity dates never depend on the machine's local time zone
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


class TrainingCA:
    """A two-level CA (root → intermediate) made fresh in memory; EC P-256 so it is instant to create."""

    def __init__(self, name: str = "csrlearn Training") -> None:
        now = _now()
        self._root_key = ec.generate_private_key(ec.SECP256R1())
        self._int_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name(f"{name} Root CA — NOT TRUSTED, FOR PRACTICE ONLY")
        int_name = _name(f"{name} Intermediate CA — NOT TRUSTED")
        self.root = _ca_cert(root_name, root_name, self._root_key.public_key(), self._root_key, now, 3650, None)
        self.intermediate = _ca_cert(int_name, root_name, self._int_key.public_key(), self._root_key, now, 1825, 0)

    @property
    def chain(self) -> list[x509.Certificate]:
        """The intermediates a server sends after its own certificate (the root stays in trust stores)."""
        return [self.intermediate]

    def issue(self, csr: Any, days: int = 90) -> x509.Certificate:
        """Sign a certificate for the CSR: its subject, SANs and public key; 90 days like Let's Encrypt.

        The CSR's self-signature is checked first, as every CA does: it proves the requester has the key.
        """
        csr = getattr(csr, "obj", csr)
        if not isinstance(csr, x509.CertificateSigningRequest):
            raise InputError(f"the CA issues certificates from a CSR, not from a {type(csr).__name__}")
        if not csr.is_signature_valid:
            raise InputError("the CSR's signature does not verify: it was altered after signing; "
                             "the CA refuses it (make it again)")
        if not 1 <= days <= 825:
            raise InputError(f"days must be between 1 and 825, but it was {days}")
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.intermediate.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(minutes=5))  # a little slack for clock skew
            .not_valid_after(now + _dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._int_key.public_key()),
                           critical=False)
        )
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            builder = builder.add_extension(san.value, critical=False)
        except x509.ExtensionNotFound:
            pass
        return builder.sign(self._int_key, hashes.SHA256())

    def fullchain(self, cert: Any) -> bytes:
        """PEM: the certificate, then the intermediate — nginx's ``ssl_certificate`` file."""
        cert = getattr(cert, "obj", cert)
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *self.chain])

    def __repr__(self) -> str:
        return f"TrainingCA({self.intermediate.subject.rfc4514_string()!r})"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "csrlearn"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn[:64])])


def _ca_cert(subject: x509.Name, issuer: x509.Name, pub: Any, signer: Any, now: _dt.datetime, days: int,
             path_length: int | None) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        .sign(signer, hashes.SHA256())
    )
