"""One error family for everything csrlearn refuses to do.

Every message names the file (when there is one), says what was expected, what arrived and what
to do next, in one line, so the CLI can print it as ``csrlearn: <message>`` and exit 2.
"""
from __future__ import annotations

__all__ = [
    "CsrLearnError",
    "InputError",
    "PassphraseError",
    "WouldOverwriteError",
    "UnsupportedKeyError",
    "ValidationError",
]


class CsrLearnError(Exception):
    """Base class: a problem with the user's input or request, never a bug."""


class InputError(CsrLearnError):
    """A file or value that cannot be read as a key, CSR or certificate.

    ``not_crypto`` is true when the file simply holds no key, CSR or certificate (text, an image, an
    empty file): ``match`` lists such files found in a directory as skipped rather than as errors.
    """

    def __init__(self, message: str, *, not_crypto: bool = False) -> None:
        super().__init__(message)
        self.not_crypto = not_crypto


class PassphraseError(InputError):
    """An encrypted key or PKCS#12 file with a missing or wrong passphrase."""


class WouldOverwriteError(CsrLearnError):
    """Writing would replace an existing file (or go through a symlink)."""


class UnsupportedKeyError(CsrLearnError):
    """The operation does not apply to this key type (e.g. a modulus of an EC key)."""


class ValidationError(CsrLearnError, ValueError):
    """A subject field, SAN or option that breaks a rule (RFC 5280 bounds, two-letter country...)."""


def where(path: object | None) -> str:
    """The ``"file: "`` prefix of a message, or nothing when the input had no file name."""
    return f"{path}: " if path else ""
