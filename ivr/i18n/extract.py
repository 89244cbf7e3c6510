"""A Babel extractor that collects the translatable texts of the YAML configuration."""
from __future__ import annotations

from pathlib import Path
from typing import IO, Any, Iterator

from ..loading.translated import yaml_texts
from ..core.problems import dotted
from ..loading.yamlsource import Source, read_yaml


def extract_yaml(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple[int, None, str, list[str]]]:
    """Yield (line, function, message, comments) for pybabel extract (method ivr_yaml)."""
    name = getattr(fileobj, "name", "config.yaml")
    source = Source()
    # read_yaml reads from a path; pybabel hands us the open file of that path.
    read_yaml(Path(name), Path(name).name, source)
    for text, path in yaml_texts(source.data):
        yield source.where(path).line, None, text, [dotted(path)]
