"""Step 3: put key, subject and SANs together and sign them — the CSR you hand to a CA.

``build_csr(key, subject, sans)`` is what ``openssl req -new -key KEY -subj SUBJ -addext
"subjectAltName=..."`` does: the CSR carries the public key and the names, and is signed with the
private key to prove that whoever asks holds it.
"""
from __future__ import annotations

from typing import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from .errors import ValidationError
from .keys import PrivateKey
from .names import Subject, parse_sans

__all__ = ["build_csr", "HASHES", "signature_valid"]

HASHES = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512, "sha224": hashes.SHA224,
    # Weak on purpose, for the lint lessons only: public CAs refuse both.
    "sha1": hashes.SHA1, "md5": hashes.MD5,
}


def build_csr(
    key: PrivateKey,
    subject: Subject | str | None = None,
    sans: Iterable[str | x509.GeneralName] | str = (),
    *,
    hash: str = "sha256",
) -> x509.CertificateSigningRequest:
    """Build and sign a CSR.

    SHA-256 is the default because every CA accepts it and nobody accepts SHA-1 any more.
    Ed25519 keys sign without a separate hash (the algorithm has its own), so ``hash`` is ignored.
    SANs go in a non-critical subjectAltName extension request, as ``openssl req -addext`` puts them.
    """
    if isinstance(subject, str):
        subject = Subject.parse(subject)
    subject = subject or Subject()
    names = parse_sans(sans)
    if subject.is_empty() and not names:
        raise ValidationError("a CSR needs a common name or at least one SAN")
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject.to_name())
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    algorithm = None
    if not isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        try:
            algorithm = HASHES[hash.lower()]()
        except KeyError:
            raise ValidationError(f"hash must be one of {', '.join(HASHES)}, but it was {hash!r}") from None
    return builder.sign(key, algorithm)


def signature_valid(csr: x509.CertificateSigningRequest) -> bool:
    """Does the CSR's self-signature verify with its own public key (``openssl req -verify``), whatever the hash?

    pyca/cryptography's ``is_signature_valid`` says False for intact MD5 and SHA-1 signatures (as a policy,
    or when its OpenSSL refuses them); an old CSR is weak (lint says so), not altered, so RSA, ECDSA and
    DSA signatures are then checked with the public key directly.
    """
    try:
        if csr.is_signature_valid:
            return True
    except Exception:  # an unsupported or malformed signature: try the direct check below
        pass
    try:
        pub, h = csr.public_key(), csr.signature_hash_algorithm
        params = csr.signature_algorithm_parameters  # RSASSA-PSS names its padding; MD5 and SHA-1 give None
        sig, data = csr.signature, csr.tbs_certrequest_bytes
        if isinstance(pub, rsa.RSAPublicKey) and h is not None:
            pub.verify(sig, data, params if isinstance(params, padding.AsymmetricPadding) else padding.PKCS1v15(), h)
        elif isinstance(pub, ec.EllipticCurvePublicKey) and h is not None:
            pub.verify(sig, data, params if isinstance(params, ec.ECDSA) else ec.ECDSA(h))
        elif isinstance(pub, dsa.DSAPublicKey) and h is not None:
            pub.verify(sig, data, h)
        else:  # Ed25519 and Ed448 have no separate hash: is_signature_valid has answered for them
            return False
        return True
    except Exception:  # InvalidSignature, or a malformed key or signature: not valid
        return False
