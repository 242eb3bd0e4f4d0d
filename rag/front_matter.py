"""Read an article's YAML front matter as a few short strings; refuse aliases, oversized or malformed blocks."""
from __future__ import annotations

import re

MAX_BYTES = 8192  # front matter holds a title, an author, a url: a few lines
MAX_FIELDS = 50
MAX_VALUE_CHARS = 300
TITLE_CHARS = 200

_OPENING = re.compile(r"---[ \t]*\n")
_CLOSING = re.compile(r"^---[ \t]*\n", re.M)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class FrontMatterError(ValueError):
    """The front matter cannot be read safely."""


def split_front_matter(text: str) -> tuple[dict[str, str], int]:
    """({field: value}, where the body starts); ({}, 0) when `text` has no front matter.

    Front matter opens with a `---` line at the very start and ends at the next `---` line; a text
    that opens with `---` but never closes it has none. Raises FrontMatterError for a block over
    8 KB, a YAML error, an alias or anything but a mapping of fields.
    """
    if not _OPENING.match(text):
        return {}, 0
    opening = _OPENING.match(text).end()
    closing = _CLOSING.search(text, opening)
    if closing is None:
        return {}, 0
    block = text[opening:closing.start()]
    if len(block.encode("utf-8")) > MAX_BYTES:
        raise FrontMatterError(f"front matter over {MAX_BYTES // 1024} KB")
    return _fields(_parse(block)), closing.end()


def _parse(block: str):
    import yaml  # only ingest reads front matter; keep it off the query path

    class Loader(yaml.BaseLoader):
        """Every scalar a string (no YAML 1.1 booleans, dates or huge ints); aliases refused.

        An alias repeats a node by reference, so nine levels of nine aliases become 9**9 strings
        as soon as anything walks them: 433 bytes of front matter took ingest to 3 GB.
        """

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise FrontMatterError("front matter uses a YAML alias (*name), which is not allowed")
            return super().compose_node(parent, index)

    try:
        return yaml.load(block, Loader=Loader)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(f"front matter is not valid YAML ({problem})") from None
    except RecursionError:
        raise FrontMatterError("front matter is nested too deeply") from None


def _fields(data) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter is not a set of fields (name: value lines)")
    if len(data) > MAX_FIELDS:
        raise FrontMatterError(f"front matter has over {MAX_FIELDS} fields")
    fields = {}
    for key, value in data.items():
        text = plain_value(value)
        if isinstance(key, str) and text:
            fields[plain_value(key)] = text
    return fields


def plain_value(value, limit: int = MAX_VALUE_CHARS) -> str:
    """A string, or a list of strings joined with commas, as one short line; "" for anything else."""
    if isinstance(value, list):
        value = ", ".join(v for v in value if isinstance(v, str))
    if not isinstance(value, str):
        return ""
    return _CONTROLS.sub("", " ".join(value.split()))[:limit].strip()
