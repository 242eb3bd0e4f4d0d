"""The eval corpora of eval/corpora.toml: a project folder or a Debian package's files, each with its eval sets."""
from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CATALOGUE = HERE / "corpora.toml"
SETS = HERE / "sets"


class CorpusUnavailable(Exception):
    """The files of a corpus are not on this machine (its Debian package is not installed)."""


@dataclass(frozen=True)
class EvalCorpus:
    name: str
    sets: tuple[Path, ...]
    folder: Path | None = None  # a folder of this project, used as it is
    package: str = ""  # the Debian package whose files make the corpus
    files: tuple[Path, ...] = ()

    def missing(self) -> list[Path]:
        return [f for f in self.files if not f.is_file()]

    def materialize(self, root: Path) -> Path:
        """The corpus folder: the project folder, or the package's files copied under root/<name>."""
        if self.folder is not None:
            return self.folder
        if self.missing():
            raise CorpusUnavailable(f"corpus {self.name!r} needs Debian's {self.package} "
                                    f"(apt-get install {self.package}); missing {self.missing()[0]}")
        target = Path(root) / self.name
        target.mkdir(parents=True, exist_ok=True)
        wanted = {f.name for f in self.files}
        for stale in target.iterdir():  # a file dropped from the catalogue leaves the corpus too
            if stale.name not in wanted:
                stale.unlink()
        for source in self.files:  # copied, not linked: the loader never follows links out of a corpus
            copy = target / source.name
            if not copy.exists() or copy.read_bytes() != source.read_bytes():
                shutil.copyfile(source, copy)
        return target


def load_catalogue(path: Path = CATALOGUE) -> dict[str, EvalCorpus]:
    """Every corpus of the catalogue, by name, in file order."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    corpora = {}
    for name, entry in data.get("corpus", {}).items():
        folder = entry.get("folder")
        corpora[name] = EvalCorpus(
            name=name, sets=tuple((SETS / s).resolve() for s in entry.get("sets", ())),
            folder=(ROOT / folder) if folder else None, package=entry.get("package", ""),
            files=tuple(Path(f) for f in entry.get("files", ())))
    return corpora
