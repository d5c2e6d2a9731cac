"""Is ``csrlearn match`` fast at runbook scale? Three contenders over one folder, side by side.

1. the classic shell loop: one ``openssl x509|req|pkey … | openssl pkey -pubin -outform DER |
   openssl dgst -sha256`` pipeline per file, in one bash process;
2. ``csrlearn match --json DIR``: one process, start-up included;
3. the floor (``benchmarks/floor.py``): one Python process that loads each file with pyca/cryptography
   and hashes its SubjectPublicKeyInfo, nothing else.

The corpus (default 1,000 files: RSA-2048 and EC P-256 sets of key, CSR, certificate and full-chain
file, made with the openssl CLI alone, signed by a throw-away two-level CA) is written once to
``benchmarks/corpus/`` (git-ignored) and reused. The contenders run interleaved, several rounds, and
all three must agree on every file's fingerprint before any time is reported. Also measured: the
start-up costs (``import csrlearn``, ``csrlearn --help``) against a bare interpreter.

    python benchmarks/bench_match.py                 # 1,000 files, 5 rounds
    python benchmarks/bench_match.py -n 300 --rounds 3 --check   # exit 1 if a target is missed
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS_ROOT = HERE / "corpus"
RESULTS = HERE / "results"
# Like a user's installed copy: Python may cache bytecode (a developer's PYTHONDONTWRITEBYTECODE=1 would
# make every run recompile the modules being edited, and time the compiler instead of csrlearn).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CORPUS_VERSION = 1  # bump when the corpus recipe changes, so old corpora are rebuilt

# Targets from issue 6.
TARGET_VS_LOOP = 40.0  # csrlearn at least this many times faster than the openssl loop
TARGET_VS_FLOOR = 1.5  # and at most this many times slower than the floor
TARGET_IMPORT_MS = 150.0

# The runbook loop: pick the openssl subcommand by file name, as runbooks do.
SHELL_LOOP = r"""
for f in "$1"/*; do
  printf '%s ' "$f"
  case "$f" in
    *.key) openssl pkey -in "$f" -pubout -outform DER ;;
    *.csr) openssl req -in "$f" -noout -pubkey | openssl pkey -pubin -outform DER ;;
    *)     openssl x509 -in "$f" -noout -pubkey | openssl pkey -pubin -outform DER ;;
  esac | openssl dgst -sha256
done
"""


# ------------------------------------------------------------------------------------------ corpus

def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"openssl {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")


def _make_ca(ca: Path) -> None:
    """A root and an intermediate (EC P-256, quick to make), to sign the leaves and fill the chains."""
    ca.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "root.key", "-out", "root.crt", "-days", "3650",
             "-subj", "/O=Bench/CN=Bench Root", "-addext", "basicConstraints=critical,CA:TRUE", cwd=ca)
    _openssl("req", *ec, "-keyout", "int.key", "-out", "int.csr", "-subj", "/O=Bench/CN=Bench Intermediate", cwd=ca)
    ext = ca / "int.ext"
    ext.write_text("basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n")
    _openssl("x509", "-req", "-in", "int.csr", "-CA", "root.crt", "-CAkey", "root.key", "-set_serial", "2",
             "-days", "3650", "-extfile", "int.ext", "-out", "int.crt", cwd=ca)


def _make_set(i: int, files: int, out: Path, ca: Path) -> None:
    """Set i: siteNNNN.key, .csr, .crt and .fullchain.pem (only the first ``files`` of them)."""
    stem = f"site{i:04d}"
    cn = f"{stem}.example.com"
    newkey = ["-newkey", "rsa:2048"] if i % 2 == 0 else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    _openssl("req", *newkey, "-nodes", "-keyout", f"{stem}.key", "-out", f"{stem}.csr",
             "-subj", f"/C=US/O=Bench/CN={cn}", "-addext", f"subjectAltName=DNS:{cn}", cwd=out)
    if i % 8 in (0, 1):  # some keys in the older formats servers still hold: RSA PRIVATE KEY, EC PRIVATE KEY
        _openssl("pkey", "-in", f"{stem}.key", "-traditional", "-out", f"{stem}.key.tmp", cwd=out)
        os.replace(out / f"{stem}.key.tmp", out / f"{stem}.key")
    if files >= 3:
        _openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", str(ca / "int.crt"), "-CAkey", str(ca / "int.key"),
                 "-set_serial", str(1000 + i), "-days", "365", "-copy_extensions", "copy", "-out", f"{stem}.crt", cwd=out)
    if files >= 4:
        (out / f"{stem}.fullchain.pem").write_bytes((out / f"{stem}.crt").read_bytes() + (ca / "int.crt").read_bytes())
    if files < 2:
        (out / f"{stem}.csr").unlink()


def corpus(n: int, *, rebuild: bool = False) -> Path:
    """The folder of ``n`` files, made with openssl on first use and reused afterwards."""
    out, stamp = CORPUS_ROOT / f"n{n}", CORPUS_ROOT / f"n{n}.json"
    want = {"files": n, "version": CORPUS_VERSION}
    if not rebuild and out.is_dir() and stamp.is_file() and json.loads(stamp.read_text()) == want \
            and sum(1 for _ in out.iterdir()) == n:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    ca = CORPUS_ROOT / "ca"
    if not (ca / "int.crt").is_file():
        _make_ca(ca)
    sets = (n + 3) // 4
    started = time.perf_counter()
    print(f"making a corpus of {n} files with openssl in {out} …", file=sys.stderr, flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        jobs = [pool.submit(_make_set, i, min(4, n - 4 * i), out, ca) for i in range(sets)]
        for j in jobs:
            j.result()
    print(f"… done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    stamp.write_text(json.dumps(want))
    return out


# ------------------------------------------------------------------------------------------ running

def _csrlearn_cmd() -> list[str]:
    script = Path(sys.executable).with_name("csrlearn")
    return [str(script)] if script.exists() else [sys.executable, "-m", "csrlearn"]


def contenders(folder: Path) -> dict[str, list[str]]:
    return {
        "openssl loop": ["bash", "-c", SHELL_LOOP, "loop", str(folder)],
        "csrlearn match --json": [*_csrlearn_cmd(), "match", "--json", str(folder)],
        "floor": [sys.executable, str(HERE / "floor.py"), str(folder)],
    }


def run(cmd: list[str], *, ok: tuple[int, ...] = (0,)) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user+sys, children included), peak RSS in KiB, stdout."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd[:4])} … exited {proc.returncode}: {err[-2000:]}")
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out.read().decode()


def _fingerprints(name: str, stdout: str) -> dict[str, str]:
    """file -> leaf SPKI SHA-256, from each contender's own output format."""
    if name.startswith("csrlearn"):
        report = json.loads(stdout)
        return {os.path.normpath(i["file"]): g["spki_sha256"] for g in report["groups"] for i in g["items"]}
    out = {}
    for line in stdout.splitlines():
        if line.strip():
            path, digest = line.split(" ", 1)[0], line.split()[-1]
            out[os.path.normpath(path)] = digest
    return out


def bench(folder: Path, n: int, rounds: int, loop_rounds: int) -> dict:
    cmds = contenders(folder)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    cpu: dict[str, list[float]] = {k: [] for k in cmds}
    rss: dict[str, int] = {k: 0 for k in cmds}
    for path in folder.iterdir():  # warm up: files in the page cache, bytecode compiled, for every contender
        path.read_bytes()
    for name, cmd in cmds.items():
        if name != "openssl loop":
            run(cmd, ok=(0, 1))
    reference: dict[str, str] = {}
    for r in range(rounds):
        for name, cmd in cmds.items():
            if name == "openssl loop" and r >= loop_rounds:
                continue
            wall, cpu_s, peak, stdout = run(cmd, ok=(0, 1))  # match exits 1: the folder holds many key pairs
            times[name].append(wall)
            cpu[name].append(cpu_s)
            rss[name] = max(rss[name], peak)
            if r == 0:  # honesty first: every contender must give the same answer for every file
                fps = _fingerprints(name, stdout)
                if len(fps) != n:
                    raise SystemExit(f"{name}: {len(fps)} fingerprints for {n} files")
                if name == "openssl loop":  # first in `cmds`: the referee
                    reference = fps
                elif fps != reference:
                    bad = sorted(k for k in fps if fps[k] != reference.get(k))[:3]
                    raise SystemExit(f"{name} disagrees with openssl on {bad}")
        print(f"round {r + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items() if len(v) > r),
              file=sys.stderr, flush=True)
    return {k: {"median_s": statistics.median(v), "min_s": min(v), "rounds": len(v),
                "cpu_s": statistics.median(cpu[k]), "peak_rss_kib": rss[k]} for k, v in times.items()}


def _median_ms(cmd: list[str], rounds: int) -> float:
    return 1000 * statistics.median(run(cmd)[0] for _ in range(rounds))


def _importtime_ms(rounds: int) -> float:
    """Cumulative ``import csrlearn`` time as ``python -X importtime`` reports it (median)."""
    values = []
    for _ in range(rounds):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import csrlearn"],
                             capture_output=True, text=True, check=True, env=ENV).stderr
        m = re.search(r"^import time:\s+\d+ \|\s+(\d+) \| csrlearn$", err, re.M)
        values.append(int(m.group(1)) / 1000)
    return statistics.median(values)


def startup(rounds: int) -> dict:
    py = sys.executable
    loaded = subprocess.run([py, "-c", "import csrlearn, sys; print(' '.join(sorted(sys.modules)))"],
                            capture_output=True, text=True, check=True, env=ENV).stdout.split()
    heavy = sorted({m.split(".")[0] for m in loaded if m.split(".")[0] in
                    ("cryptography", "ipywidgets", "IPython", "jupyter_core", "ipykernel", "traitlets")})
    return {
        "python -c pass": _median_ms([py, "-c", "pass"], rounds),
        "import csrlearn": _median_ms([py, "-c", "import csrlearn"], rounds),
        "import csrlearn (-X importtime, cumulative)": _importtime_ms(rounds),
        "csrlearn --help": _median_ms([*_csrlearn_cmd(), "--help"], rounds),
        "import cryptography.x509 (reference)": _median_ms([py, "-c", "import cryptography.x509"], rounds),
        "heavy modules loaded by import csrlearn": heavy,
    }


# ------------------------------------------------------------------------------------------ report

def machine() -> str:
    cpu = ""
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1).strip() if m else ""
    except OSError:
        pass
    distro = ""
    try:
        distro = re.search(r'^PRETTY_NAME="?([^"\n]+)', Path("/etc/os-release").read_text(), re.M).group(1)
    except (OSError, AttributeError):
        pass
    import cryptography
    ossl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.split(" (")[0].strip()
    return (f"{os.cpu_count()} cores{f' ({cpu})' if cpu else ''}, {distro or platform.platform()}, "
            f"Python {platform.python_version()}, {ossl}, cryptography {cryptography.__version__}")


def _t(seconds: float) -> str:
    """13.07 s, or 128 ms below a second (where the ratios between csrlearn and the floor are decided)."""
    return f"{seconds:.2f} s" if seconds >= 1 else f"{1000 * seconds:.0f} ms"


def report(n: int, res: dict, start: dict, rounds: int) -> tuple[str, dict]:
    me, loop, floor = res["csrlearn match --json"], res["openssl loop"], res["floor"]
    vs_loop = loop["median_s"] / me["median_s"]
    vs_floor = me["median_s"] / floor["median_s"]
    labels = {"openssl loop": "openssl loop (bash, one pipeline per file)",
              "csrlearn match --json": "`csrlearn match --json DIR`",
              "floor": "floor: cryptography load + SPKI sha256, nothing else"}
    lines = [f"{n} files (RSA-2048 and EC P-256: keys, CSRs, certificates, full-chain files), "
             f"median of {rounds} rounds ({loop['rounds']} for the loop)", "",
             "| contender | median | min | per file | CPU | peak RSS | vs csrlearn |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for k in ("openssl loop", "csrlearn match --json", "floor"):
        v = res[k]
        ratio = v["median_s"] / me["median_s"]
        lines.append(f"| {labels[k]} | {_t(v['median_s'])} | {_t(v['min_s'])} | "
                     f"{1000 * v['median_s'] / n:.2f} ms | {_t(v['cpu_s'])} | {v['peak_rss_kib'] / 1024:.0f} MB | "
                     f"{ratio:.2f}x |")
    lines += ["",
              f"- csrlearn vs the openssl loop: **{vs_loop:.1f}x faster** (target >= {TARGET_VS_LOOP:.0f}x: "
              f"{'met' if vs_loop >= TARGET_VS_LOOP else 'MISSED'})",
              f"- csrlearn vs the floor: **{vs_floor:.2f}x** the floor's time (target <= {TARGET_VS_FLOOR}x: "
              f"{'met' if vs_floor <= TARGET_VS_FLOOR else 'MISSED'})", "",
              "| start-up (median) | time |", "|---|---:|"]
    for k, v in start.items():
        if isinstance(v, float):
            lines.append(f"| {'`' + k + '`' if k.startswith(('python', 'import', 'csrlearn')) else k} | {v:.0f} ms |")
    imp = start["import csrlearn"]
    lines += ["",
              f"- `import csrlearn`: {imp:.0f} ms for the whole process, {imp - start['python -c pass']:.0f} ms over a "
              f"bare interpreter (target < {TARGET_IMPORT_MS:.0f} ms: {'met' if imp < TARGET_IMPORT_MS else 'MISSED'}); "
              f"heavy modules loaded: {', '.join(start['heavy modules loaded by import csrlearn']) or 'none'}"]
    ok = {"vs_loop": vs_loop >= TARGET_VS_LOOP, "vs_floor": vs_floor <= TARGET_VS_FLOOR,
          "import": imp < TARGET_IMPORT_MS and not start["heavy modules loaded by import csrlearn"]}
    return "\n".join(lines), {"vs_loop": vs_loop, "vs_floor": vs_floor, "targets_met": ok}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--files", type=int, default=1000, help="corpus size (default 1000)")
    p.add_argument("--rounds", type=int, default=5, help="rounds per contender (default 5)")
    p.add_argument("--loop-rounds", type=int, help="rounds for the slow openssl loop (default: --rounds)")
    p.add_argument("--startup-rounds", type=int, default=20, help="runs per start-up measurement (default 20)")
    p.add_argument("--rebuild", action="store_true", help="make the corpus again even if one exists")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = p.parse_args(argv)
    if shutil.which("openssl") is None or shutil.which("bash") is None:
        raise SystemExit("the benchmark needs openssl and bash")
    folder = corpus(args.files, rebuild=args.rebuild)
    res = bench(folder, args.files, args.rounds, max(1, min(args.loop_rounds or args.rounds, args.rounds)))
    start = startup(args.startup_rounds)
    text, summary = report(args.files, res, start, args.rounds)
    text = f"Machine: {machine()}\n\n{text}"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n")
    (RESULTS / "latest.json").write_text(json.dumps({"files": args.files, "machine": machine(), "contenders": res,
                                                     "startup": start, **summary}, indent=2) + "\n")
    return 0 if not args.check or all(summary["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
