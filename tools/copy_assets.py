"""Copy the pinned npm front-end assets into core/static/vendor, where the app serves them.

Run after `npm ci` (the Makefile does). Only the files the templates use are copied."""
from __future__ import annotations

import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "core" / "static" / "vendor"

FILES = {
    "bootstrap": ["bootstrap/dist/css/bootstrap.rtl.min.css", "bootstrap/dist/css/bootstrap.min.css",
                  "bootstrap/dist/js/bootstrap.bundle.min.js"],
    "bootstrap-icons": ["bootstrap-icons/font/bootstrap-icons.min.css"],
    "bootstrap-icons/fonts": ["bootstrap-icons/font/fonts/bootstrap-icons.woff2",
                              "bootstrap-icons/font/fonts/bootstrap-icons.woff"],
    "htmx": ["htmx.org/dist/htmx.min.js"],
    "chartjs": ["chart.js/dist/chart.umd.min.js"],
    "vazirmatn": ["vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2"],
    "jalalidatepicker": ["@majidh1/jalalidatepicker/dist/jalalidatepicker.min.js",
                         "@majidh1/jalalidatepicker/dist/jalalidatepicker.min.css"],
    "swagger-ui": ["swagger-ui-dist/swagger-ui.css", "swagger-ui-dist/swagger-ui-bundle.js",
                   "swagger-ui-dist/swagger-ui-standalone-preset.js"],
}


def main() -> int:
    missing = []
    for folder, files in FILES.items():
        target = VENDOR / folder
        target.mkdir(parents=True, exist_ok=True)
        for rel in files:
            src = NODE / rel
            if not src.exists():
                missing.append(rel)
                continue
            shutil.copy2(src, target / src.name)
    if missing:
        print("missing (run `npm ci`):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
