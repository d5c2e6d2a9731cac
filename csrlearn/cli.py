"""The ``csrlearn`` command: a thin shell over the library, for runbooks and terminals.

Exit codes: 0 success; 1 the answer is "no" (a mismatch, an error-level lint finding, a failed proof);
2 bad input or usage, with one line on stderr (``csrlearn: <message>``) and no traceback unless --debug.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from . import __version__

EXIT_OK, EXIT_NO, EXIT_BAD = 0, 1, 2


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout at the width shutil would report (COLUMNS, else the terminal, else 80), found
    without importing shutil: argparse imports it (and zlib, bz2, lzma) for this alone, 2 ms of every start."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        if kwargs.get("width") is None:
            try:
                columns = (int(os.environ.get("COLUMNS", "0")) or os.get_terminal_size(sys.__stdout__.fileno()).columns
                           or 80)
            except (AttributeError, ValueError, OSError):
                columns = 80
            kwargs["width"] = columns - 2  # what HelpFormatter itself subtracts
        super().__init__(prog, **kwargs)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # `--passphrase x` must never be read as `--passphrase-file x`
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # usage errors: one line and exit 2, like every other bad input
        if message.startswith("unrecognized arguments:"):
            # name the unknown options only: a value typed after one (a passphrase?) is never echoed
            words = [w for w in message.split(":", 1)[1].split() if w.startswith("-")]
            message = f"unrecognized option(s): {' '.join(words) or '(extra arguments)'}"
            if any(w.startswith("--pass") for w in words):
                message += "; passphrases are never taken as arguments: use --passphrase-file F or the prompt"
        self.print_usage(sys.stderr)
        print(f"csrlearn: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD)


# ------------------------------------------------------------------------------------------ passphrases

def read_passphrase_file(path: str) -> bytes:
    """The first line of a passphrase file (without its newline), as openssl's ``-passin file:`` reads it."""
    from .errors import InputError
    from .files import read_file
    data = read_file(path, limit=64 * 1024)
    line = data.split(b"\n", 1)[0].rstrip(b"\r")
    if not line:
        raise InputError(f"{path}: the passphrase file is empty: write the passphrase on its first line")
    return line


def _passphrase(args: argparse.Namespace, prompt: str, *, confirm: bool = False, required: bool = False) -> bytes | None:
    """From --passphrase-file, else a prompt when stdin is a terminal (never from argv, never echoed)."""
    from .errors import PassphraseError
    if getattr(args, "passphrase_file", None):
        return read_passphrase_file(args.passphrase_file)
    if not required:
        return None
    if not sys.stdin.isatty():
        raise PassphraseError(f"{prompt}: needs a passphrase: give it with --passphrase-file (stdin is not a terminal)")
    import getpass
    first = getpass.getpass(f"Passphrase for {prompt}: ").encode()
    if confirm and getpass.getpass("Again, to confirm: ").encode() != first:
        raise PassphraseError("the two passphrases differ: nothing was written")
    if not first:
        raise PassphraseError("an empty passphrase: nothing was written")
    return first


def _load(path: str, args: argparse.Namespace, **kw: Any) -> list[Any]:
    """load() that asks for a passphrase at the terminal if the file turns out to be encrypted."""
    from .errors import PassphraseError
    from .files import load
    pw = _passphrase(args, path)
    try:
        return load(path, passphrase=pw, **kw)
    except PassphraseError:
        if pw is not None or not sys.stdin.isatty():
            raise
        return load(path, passphrase=_passphrase(args, path, required=True), **kw)


def _print_json(value: Any) -> None:
    """Indented for a person at a terminal; one compact line for a pipe or file (scripts, jq): 4x quicker
    to write for a large match report."""
    print(json.dumps(value, indent=2 if sys.stdout.isatty() else None, ensure_ascii=False))


PROGRESS_FROM = 300  # files: below this a folder takes a fraction of a second, and a progress line only flickers


def _progress_printer(enabled: bool) -> Callable[[int], None] | None:
    """A progress line on stderr for big folders, only when a person is watching (a terminal)."""
    if not enabled or not sys.stderr.isatty():
        return None

    def show(n: int) -> None:
        if n >= PROGRESS_FROM and n % 100 == 0:
            print(f"\rcsrlearn: read {n} files…", end="", file=sys.stderr, flush=True)
    return show


# ------------------------------------------------------------------------------------------ commands

def cmd_new(args: argparse.Namespace) -> int:
    from .csr import build_csr
    from .errors import ValidationError
    from .keys import generate_key
    from .match import fingerprint
    from .names import Subject, file_stem, parse_san, parse_sans

    subject = Subject.parse(args.subject) if args.subject else Subject()
    if args.cn:
        subject = Subject(**{**{k: getattr(subject, k) for k in subject.__dataclass_fields__}, "common_name": args.cn})
    sans = parse_sans(args.san or [])
    if subject.common_name:  # browsers read only SANs: the CN must be one too (what every CA expects)
        try:
            cn_san = parse_san(subject.common_name)
        except ValidationError:
            cn_san = None
        if cn_san is not None and cn_san not in sans:
            sans.insert(0, cn_san)
    if subject.is_empty() and not sans:
        raise ValidationError("give --cn NAME (and --san for more names)")
    if getattr(args, "openssl", False):
        from .recipe import openssl_recipe
        print(openssl_recipe(subject, sans, key_type=args.key_type, bits=args.bits, curve=args.curve,
                             encrypt=args.encrypt, name=file_stem(subject, sans, name=args.name)))
        return EXIT_OK
    name = file_stem(subject, sans, name=args.name)
    out = Path(args.out_dir)
    if not out.is_dir():
        raise ValidationError(f"{out}: output directory does not exist: create it first")
    key_path, csr_path = out / f"{name}.key", out / f"{name}.csr"
    if not args.force:  # check both before making anything, so a refusal leaves no half pair behind
        from .errors import WouldOverwriteError
        for p in (key_path, csr_path):
            if p.exists() or p.is_symlink():
                raise WouldOverwriteError(f"{p}: already exists; csrlearn never overwrites a key or CSR: "
                                          f"choose another --name or -o DIR, or pass --force")
    passphrase = _passphrase(args, str(key_path), confirm=True, required=True) if args.encrypt else None
    key = generate_key(args.key_type, bits=args.bits, curve=args.curve)
    csr = build_csr(key, subject, sans)
    # both files in one step: a full disk, a crash or a concurrent run never leaves a key without its
    # CSR, nor replaces the previous key unless its new CSR is in place too
    from cryptography.hazmat.primitives.serialization import Encoding
    from .files import key_pem, write_group
    write_group([(key_path, key_pem(key, passphrase=passphrase), 0o600),
                 (csr_path, csr.public_bytes(Encoding.PEM), 0o644)], overwrite=args.force)
    print(f"wrote {key_path} (private key, {'encrypted, ' if passphrase else ''}mode 0600: keep it here, never send it)")
    print(f"wrote {csr_path} (CSR: send this one to your CA)")
    print(f"public key SHA-256 {fingerprint(key)}")
    return EXIT_OK


def cmd_decode(args: argparse.Namespace) -> int:
    from .describe import describe
    infos = [describe(it) for f in args.files for it in _load(f, args)]
    if args.json:
        _print_json([i.to_dict() for i in infos])
    else:
        print("\n\n".join(str(i) for i in infos))
    return EXIT_OK


def cmd_modulus(args: argparse.Namespace) -> int:
    from .errors import UnsupportedKeyError
    from .match import modulus_md5, openssl_modulus_line
    items = [i for i in _load(args.file, args, check_keys=False) if i.role != "chain"]
    for it in items:
        try:
            line = f"MD5(stdin)= {modulus_md5(it)}" if args.md5 else openssl_modulus_line(it)
        except UnsupportedKeyError as e:
            raise UnsupportedKeyError(f"{it.name if len(items) > 1 else args.file}: {e}") from None
        print(f"{it.name} {it.kind}: {line}" if len(items) > 1 else line)
    return EXIT_OK


def cmd_fingerprint(args: argparse.Namespace) -> int:
    from .match import fingerprint
    for f in args.files:
        items = _load(f, args, check_keys=False)
        for it in items:
            print(f"SHA256 {fingerprint(it)}  {it.name if len(items) > 1 else f}")
    return EXIT_OK


def cmd_match(args: argparse.Namespace) -> int:
    from .match import match
    pw = _passphrase(args, "encrypted keys")
    report = match(args.paths, passphrase=pw, check_keys=args.check_keys,
                   progress=_progress_printer(not args.json))
    if not args.json and sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report)
    for f, e in report.errors:
        print(f"csrlearn: {e}", file=sys.stderr)
    return {"match": EXIT_OK, "mismatch": EXIT_NO, "error": EXIT_BAD}[report.verdict]


def cmd_ca_issue(args: argparse.Namespace) -> int:
    from .ca import TrainingCA
    from .files import load_one, write_atomic
    csr = load_one(args.csr, kind="csr")
    ca = TrainingCA()
    pem = ca.fullchain(ca.issue(csr, days=args.days))
    if args.out:
        write_atomic(args.out, pem, overwrite=args.force)
        print(f"wrote {args.out} (certificate then intermediate, as nginx expects; from a practice CA, trusted by nobody)")
    else:
        sys.stdout.write(pem.decode())
    return EXIT_OK


# ------------------------------------------------------------------------------------------ look inside: lint, asn1, prove

def cmd_lint(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .lint import lint
    from .render import findings_text
    results = []
    for f in args.files:
        csrs = [i for i in _load(f, args, check_keys=False) if i.kind == "csr"]
        if not csrs:
            raise InputError(f"{f}: holds no CSR; lint checks CSRs (csrlearn decode shows certificates and keys)")
        for it in csrs:
            results.append((it.name if len(csrs) > 1 else f, lint(it)))
    if args.json:
        _print_json({"findings": [x.to_dict() for _, found in results for x in found],
                     "files": [{"file": name, "codes": found.codes, "errors": len(found.errors),
                                "warnings": len(found.warnings)} for name, found in results]})
    else:
        print("\n\n".join(findings_text(found, title=f"{name}:") for name, found in results))
    return EXIT_OK if all(found.ok for _, found in results) else EXIT_NO


def cmd_asn1(args: argparse.Namespace) -> int:
    from .asn1 import byte_map
    m = byte_map(args.file, index=args.index)
    if args.json:
        _print_json(m.to_dict())
    else:
        print(m)
    return EXIT_OK


def cmd_prove(args: argparse.Namespace) -> int:
    from .errors import InputError
    from .prove import prove
    keys = [i for i in _load(args.key, args) if i.kind == "private_key"]
    if len(keys) != 1:
        raise InputError(f"{args.key}: holds {len(keys)} private keys, expected one: give the private key first, "
                         f"then the certificate or CSR")
    proof = prove(keys[0], args.other, rsa_padding="pkcs1v15" if args.pkcs1 else "pss")
    if args.json:
        _print_json(proof.to_dict())
    else:
        print(proof)
    return EXIT_OK if proof.ok else EXIT_NO


# ------------------------------------------------------------------------------------------ parser

def _passphrase_opt(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--passphrase-file", metavar="F",
                    help="read the passphrase from the first line of F (never give it as an argument)")


def _add_new(sub: Any) -> None:
    sp = sub.add_parser("new", help="generate a private key and a CSR (NAME.key, 0600, and NAME.csr)")
    sp.add_argument("--cn", help="common name, e.g. www.example.com (also added as a SAN)")
    sp.add_argument("--san", action="append", metavar="X", help="a SAN: DNS name, IP, email or URI (repeatable)")
    sp.add_argument("--subject", metavar="SUBJ", help="other subject fields in openssl syntax: '/C=US/O=Acme'")
    sp.add_argument("--key-type", choices=["rsa", "ec", "ed25519"], default="rsa")
    sp.add_argument("--bits", type=int, default=2048, choices=[2048, 3072, 4096], help="RSA size (default 2048)")
    sp.add_argument("--curve", default="P-256", choices=["P-256", "P-384"], help="EC curve (default P-256)")
    sp.add_argument("--encrypt", action="store_true", help="encrypt the key with a passphrase (prompted, or --passphrase-file)")
    _passphrase_opt(sp)
    sp.add_argument("--name", help="file name stem (default: the CN)")
    sp.add_argument("-o", "--out-dir", default=".", metavar="DIR", help="where to write (default: here)")
    sp.add_argument("--force", action="store_true", help="replace existing files of the same name")
    sp.add_argument("--openssl", action="store_true",
                    help="write nothing; print the openssl config and command that make the same key and CSR")
    sp.set_defaults(func=cmd_new)


def _add_decode(sub: Any) -> None:
    sp = sub.add_parser("decode", help="show every field of CSRs, certificates and keys")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.add_argument("--json", action="store_true")
    _passphrase_opt(sp)
    sp.set_defaults(func=cmd_decode)


def _add_modulus(sub: Any) -> None:
    sp = sub.add_parser("modulus", help="print the RSA modulus line exactly as openssl does")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--md5", action="store_true", help="print what '… -modulus | openssl md5' prints")
    _passphrase_opt(sp)
    sp.set_defaults(func=cmd_modulus)


def _add_fingerprint(sub: Any) -> None:
    sp = sub.add_parser("fingerprint", help="SHA-256 of the public key (SPKI), any key type")
    sp.add_argument("files", nargs="+", metavar="FILE")
    _passphrase_opt(sp)
    sp.set_defaults(func=cmd_fingerprint)


def _add_match(sub: Any) -> None:
    sp = sub.add_parser("match", help="group files by public key and explain every mismatch")
    sp.add_argument("paths", nargs="+", metavar="FILE|DIR")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--check-keys", action="store_true", help="also validate RSA private keys fully (slower)")
    _passphrase_opt(sp)
    sp.set_defaults(func=cmd_match)


def _add_lint(sub: Any) -> None:
    sp = sub.add_parser("lint", help="what a public CA would reject in a CSR, why, and how to fix it")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_lint)


def _add_asn1(sub: Any) -> None:
    sp = sub.add_parser("asn1", help="the DER bytes as an annotated tree (RFC 2986 / RFC 5280 field names)")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--index", type=int, default=0, metavar="N", help="which PEM block of the file (default 0)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_asn1)


def _add_prove(sub: Any) -> None:
    sp = sub.add_parser("prove", help="sign a fresh challenge with KEY and verify it with the certificate's or CSR's key")
    sp.add_argument("key", metavar="KEY")
    sp.add_argument("other", metavar="CERT|CSR")
    sp.add_argument("--pkcs1", action="store_true", help="RSA: sign with PKCS#1 v1.5 instead of PSS")
    sp.add_argument("--json", action="store_true")
    _passphrase_opt(sp)
    sp.set_defaults(func=cmd_prove)


def _add_ca(sub: Any) -> None:
    sp = sub.add_parser("ca", help="a training CA, for practice only")
    ca_sub = sp.add_subparsers(dest="ca_command", metavar="ACTION", parser_class=_Parser)
    ca_sub.required = True
    sp2 = ca_sub.add_parser("issue", help="issue a certificate (full chain PEM) for a CSR")
    sp2.add_argument("csr", metavar="CSR")
    sp2.add_argument("-o", "--out", metavar="FILE", help="write the full chain here instead of stdout")
    sp2.add_argument("--days", type=int, default=90)
    sp2.add_argument("--force", action="store_true", help="replace FILE if it exists")
    sp2.set_defaults(func=cmd_ca_issue)


# In the order `csrlearn --help` lists them.
_COMMANDS: dict[str, Callable[[Any], None]] = {  # name -> what adds its subparser
    "new": _add_new, "decode": _add_decode, "modulus": _add_modulus, "fingerprint": _add_fingerprint,
    "match": _add_match, "lint": _add_lint, "asn1": _add_asn1, "prove": _add_prove, "ca": _add_ca,
}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="csrlearn", description="Make, decode and match TLS keys, CSRs and certificates.")
    p.add_argument("--version", action="version", version=f"csrlearn {__version__}")
    p.add_argument("--debug", action="store_true", help="show a traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for add in _COMMANDS.values():
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    from .errors import CsrLearnError
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        return args.func(args)
    except CsrLearnError as e:
        if args.debug:
            raise
        print(f"csrlearn: {e}", file=sys.stderr)
        return EXIT_BAD
    except KeyboardInterrupt:
        print("csrlearn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # a bug: still one line, never a traceback unless asked
        if args.debug:
            raise
        print(f"csrlearn: internal error: {type(e).__name__}: {e} (run with --debug and report it)", file=sys.stderr)
        return EXIT_BAD
