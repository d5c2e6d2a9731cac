"""The floor: the least work any Python tool can do to match a folder of PEM files.

Walk the folder, read each file, load it with pyca/cryptography (RSA private keys without the slow
consistency check, as matching needs only the public half), SHA-256 the DER SubjectPublicKeyInfo of
everything in it, print the leaf's hash. No error handling, no explanations, no grouping: whatever
``csrlearn match`` spends on top of this is csrlearn's own overhead.

    python benchmarks/floor.py DIR      # one "FILE SHA256" line per file
"""
import hashlib
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization

_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def spki_hashes(data: bytes) -> list[str]:
    """SHA-256 of the SPKI of every object in one PEM file (a chain file: every certificate)."""
    if b"CERTIFICATE REQUEST-----" in data:
        objs = [x509.load_pem_x509_csr(data)]
    elif b"CERTIFICATE-----" in data:
        objs = x509.load_pem_x509_certificates(data)
    elif b"PRIVATE KEY-----" in data:
        objs = [serialization.load_pem_private_key(data, None, unsafe_skip_rsa_key_validation=True)]
    else:
        return []
    return [hashlib.sha256(o.public_key().public_bytes(*_SPKI)).hexdigest() for o in objs]


def main(root: str) -> None:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                hashes = spki_hashes(f.read())
            if hashes:
                out.append(f"{path} {hashes[0]}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
