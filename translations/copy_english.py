"""Fill the English catalogue: English is the source language, so each msgstr is its msgid.

Run after ``pybabel update`` (see README, "Translations").
"""
from pathlib import Path

from babel.messages.pofile import read_po, write_po

path = Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"
with path.open("rb") as f:
    catalog = read_po(f, locale="en")
for message in catalog:
    if not message.id:
        continue
    message.flags.discard("fuzzy")
    message.string = message.id  # a plural's (singular, plural) pair maps onto English's two forms
with path.open("wb") as f:
    write_po(f, catalog, width=100, sort_output=True)
