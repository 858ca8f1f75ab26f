#!/usr/bin/env python3
"""Write the WordPress plugin's template of translations, ``pledge-widget/languages/pledge-widget.pot``, as
``wp i18n make-pot`` would: the texts of its PHP and JavaScript (GNU xgettext, with WordPress's translation
functions as keywords), of its plugin header and of its block.json.

Run it after changing a text:  python3 integrations/wordpress/make_pot.py
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PLUGIN = Path(__file__).resolve().parent / "pledge-widget"
POT = PLUGIN / "languages" / "pledge-widget.pot"

#: WordPress's translation functions, as xgettext keywords (argument numbers; "c": the context).
KEYWORDS = ("__", "_e", "esc_html__", "esc_html_e", "esc_attr__", "esc_attr_e", "_x:1,2c", "_ex:1,2c",
            "esc_html_x:1,2c", "esc_attr_x:1,2c", "_n:1,2", "_nx:1,2,4c", "_n_noop:1,2", "_nx_noop:1,2,3c")
#: The plugin header's fields WordPress translates, and block.json's (with the context WordPress gives them).
HEADER_FIELDS = ("Plugin Name", "Description", "Author")
BLOCK_FIELDS = {"title": "block title", "description": "block description", "keywords": "block keyword"}


def po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def metadata_entries() -> str:
    """The plugin header's and block.json's texts, as PO entries for xgettext to merge with the code's."""
    header = (PLUGIN / "pledge-widget.php").read_text(encoding="utf-8")
    entries = []
    for name in HEADER_FIELDS:
        value = re.search(rf"^ \* {name}:\s*(.+)$", header, re.M).group(1).strip()
        entries.append(f"#. {name} of the plugin\n#: pledge-widget.php\nmsgid {po_string(value)}\nmsgstr \"\"\n")
    block = json.loads((PLUGIN / "block" / "block.json").read_text(encoding="utf-8"))
    for name, context in BLOCK_FIELDS.items():
        values = block[name] if isinstance(block[name], list) else [block[name]]
        for value in values:
            entries.append(f"#: block/block.json\nmsgctxt {po_string(context)}\nmsgid {po_string(value)}\nmsgstr \"\"\n")
    return "\n".join(entries)


def write_pot(target: Path = POT) -> None:
    version = re.search(r"^ \* Version:\s*(\S+)", (PLUGIN / "pledge-widget.php").read_text(), re.M).group(1)
    sources = sorted(str(p.relative_to(PLUGIN)) for p in PLUGIN.rglob("*") if p.suffix in (".php", ".js"))
    with tempfile.TemporaryDirectory() as folder:
        metadata = Path(folder) / "metadata.po"
        metadata.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n' + metadata_entries(),
                            encoding="utf-8")
        # stderr: xgettext's warning that no address for reports on the texts was given.
        done = subprocess.run(
            ["xgettext", "--from-code=UTF-8", "--add-comments=translators:", "--package-name=Pledge widget",
             f"--package-version={version}", "--copyright-holder=flask-pledge-widget contributors",
             "-k", *(f"--keyword={k}" for k in KEYWORDS), "-o", "-", *sources, str(metadata)],
            cwd=PLUGIN, check=True, capture_output=True, text=True,
        )
    pot = done.stdout.replace("# SOME DESCRIPTIVE TITLE.", "# Texts of the Pledge widget plugin for WordPress.", 1)
    pot = pot.replace('"Content-Transfer-Encoding: 8bit\\n"\n', '"Content-Transfer-Encoding: 8bit\\n"\n"X-Domain: pledge-widget\\n"\n', 1)
    target.write_text(pot, encoding="utf-8")


if __name__ == "__main__":
    write_pot(Path(sys.argv[1]) if len(sys.argv) > 1 else POT)
