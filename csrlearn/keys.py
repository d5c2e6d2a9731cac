"""Step 1 of every CSR: the private key.

``generate_key("rsa")`` is what ``openssl req -newkey rsa:2048`` does first;
``generate_key("ec")`` is ``-newkey ec -pkeyopt ec_paramgen_curve:P-256``;
``generate_key("ed25519")`` is ``-newkey ed25519``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from .errors import UnsupportedKeyError, ValidationError

__all__ = ["generate_key", "KeyParams", "key_params", "PrivateKey", "PublicKey", "CURVES"]

PrivateKey = Union[
    rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey, dsa.DSAPrivateKey,
]
PublicKey = Union[
    rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey, dsa.DSAPublicKey,
]

# NIST names as openssl and CAs spell them -> cryptography curve classes.
CURVES: dict[str, type[ec.EllipticCurve]] = {
    "P-256": ec.SECP256R1,
    "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1,
}
_CURVE_ALIASES = {"prime256v1": "P-256", "secp256r1": "P-256", "secp384r1": "P-384",
                  "secp521r1": "P-521", "p256": "P-256", "p384": "P-384", "p521": "P-521"}
# What openssl calls the curves in `-text` output and what people type.
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

RSA_SIZES = (2048, 3072, 4096)


def generate_key(kind: str = "rsa", *, bits: int = 2048, curve: str = "P-256") -> PrivateKey:
    """Make a new private key, like the first half of ``openssl req -newkey``.

    Defaults and why: RSA 2048 is the smallest size every public CA accepts and still fast to make
    (0.03 s); P-256 is the EC curve every client supports; the RSA exponent is always 65537.

    >>> generate_key("ec").curve.name
    'secp256r1'
    """
    kind_l = kind.lower()
    if kind_l == "rsa":
        if bits not in RSA_SIZES:
            raise ValidationError(f"RSA key size must be one of {', '.join(map(str, RSA_SIZES))}, but it was {bits}")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kind_l in ("ec", "ecdsa"):
        return ec.generate_private_key(_curve(curve)())
    if kind_l == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValidationError(f"key type must be rsa, ec or ed25519, but it was {kind!r}")


def _curve(name: str) -> type[ec.EllipticCurve]:
    canon = _CURVE_ALIASES.get(name.lower(), name.upper())
    if canon not in CURVES:
        raise ValidationError(f"curve must be P-256, P-384 or P-521, but it was {name!r}")
    return CURVES[canon]


@dataclass(frozen=True)
class KeyParams:
    """What kind of public key this is: the facts a learner compares, never the secret."""

    algorithm: str  # "RSA" | "EC" | "Ed25519" | "Ed448" | "DSA"
    bits: int
    curve: str | None = None  # "P-256"... for EC
    public_exponent: int | None = None  # RSA only

    def __str__(self) -> str:
        if self.algorithm == "EC":
            return f"EC {self.curve}"
        if self.algorithm in ("Ed25519", "Ed448"):
            return self.algorithm
        return f"{self.algorithm} {self.bits}"

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "bits": self.bits, "curve": self.curve}


def public_key_of(obj: Any) -> PublicKey:
    """The public key inside a private key, public key, CSR, certificate or loaded ``Item``."""
    obj = getattr(obj, "obj", obj)  # an Item
    if hasattr(obj, "public_key"):
        return obj.public_key()
    return obj


def key_params(obj: Any) -> KeyParams:
    """Algorithm, size and curve of any key-bearing object."""
    pub = public_key_of(obj)
    if isinstance(pub, rsa.RSAPublicKey):
        return KeyParams("RSA", pub.key_size, public_exponent=pub.public_numbers().e)
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return KeyParams("EC", pub.curve.key_size, _CURVE_NAMES.get(pub.curve.name, pub.curve.name))
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return KeyParams("Ed25519", 256)
    if isinstance(pub, ed448.Ed448PublicKey):
        return KeyParams("Ed448", 456)
    if isinstance(pub, dsa.DSAPublicKey):
        return KeyParams("DSA", pub.key_size)
    raise UnsupportedKeyError(f"unsupported key type {type(pub).__name__}")
