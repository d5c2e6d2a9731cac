"""csrlearn — learn and practise TLS keys, CSRs and certificates.

    >>> import csrlearn as cl
    >>> key = cl.generate_key("ec")
    >>> csr = cl.build_csr(key, cl.Subject(common_name="www.example.com"), ["www.example.com"])
    >>> cl.match([key, csr]).verdict
    'match'

Names are imported lazily on first use, so ``import csrlearn`` stays fast and never pulls in
cryptography's heavier parts, IPython or ipywidgets before they are needed.
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS = {
    "CsrLearnError": "errors", "InputError": "errors", "PassphraseError": "errors",
    "WouldOverwriteError": "errors", "UnsupportedKeyError": "errors", "ValidationError": "errors",
    "generate_key": "keys", "key_params": "keys", "KeyParams": "keys",
    "Subject": "names", "parse_san": "names", "parse_sans": "names",
    "build_csr": "csr",
    "Item": "files", "load": "files", "load_one": "files", "save_key": "files", "save": "files",
    "describe": "describe", "CsrInfo": "describe", "CertificateInfo": "describe", "KeyInfo": "describe",
    "modulus": "match", "openssl_modulus_line": "match", "modulus_md5": "match", "fingerprint": "match",
    "match": "match", "MatchReport": "match",
    "TrainingCA": "ca",
    "lint": "lint", "Finding": "lint", "Findings": "lint",
    "byte_map": "asn1", "ByteMap": "asn1", "Asn1Node": "asn1",
    "prove": "prove", "Proof": "prove",
    "openssl_recipe": "recipe",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'csrlearn' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # cache: the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``csrlearn.match`` (and describe, lint, prove…) the public function, not its submodule.

    After loading a submodule, the import system sets it as an attribute of the package; where a
    function has its module's name, that would shadow the function. Submodules stay importable
    (``from csrlearn.match import fingerprint``) through ``sys.modules``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .ca import TrainingCA
    from .csr import build_csr
    from .describe import CertificateInfo, CsrInfo, KeyInfo, describe
    from .errors import (CsrLearnError, InputError, PassphraseError, UnsupportedKeyError, ValidationError,
                         WouldOverwriteError)
    from .files import Item, load, load_one, save, save_key
    from .keys import KeyParams, generate_key, key_params
    from .match import MatchReport, fingerprint, match, modulus, modulus_md5, openssl_modulus_line
    from .names import Subject, parse_san, parse_sans
    from .asn1 import Asn1Node, ByteMap, byte_map
    from .lint import Finding, Findings, lint
    from .prove import Proof, prove
    from .recipe import openssl_recipe
