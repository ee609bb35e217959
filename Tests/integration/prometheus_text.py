"""A daemon's /metrics, read with prometheus_client's parser of the Prometheus text format (what a Prometheus
server is given), and held against the metrics table of docs/operations.md: every family a daemon exposes is
documented there, with the type and label names it really has."""
import re
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def documented_families() -> dict:
    """{name: (type, (label, …))} from the table headed `| metric | type | labels | where |`."""
    lines = OPERATIONS.read_text().splitlines()
    start = lines.index("| metric | type | labels | where |") + 2
    families = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        labels = tuple(re.findall(r"`([a-z_]+)`", cells[2]))
        families[cells[0].strip("`")] = (cells[1], labels)
    return families


class Scrape:
    """The samples of one scrape: `value(name, label=value, …)`; `names` are the families present."""

    def __init__(self, text: str):
        self.text = text
        self.types = {}
        self.samples = {}
        documented = documented_families()
        for family in text_string_to_metric_families(text):  # raises ValueError on anything malformed
            # The parser names a counter family without its `_total`; its samples keep it.
            name = family.name + "_total" if family.type == "counter" else family.name
            assert name not in self.types, f"{name} appears twice in\n{text}"
            self.types[name] = family.type
            if name.startswith("refdesk_"):
                assert name in documented, f"{name} is not in docs/operations.md's metrics table"
                kind, labels = documented[name]
                assert family.type == kind, f"{name} is a {family.type}; docs/operations.md says {kind}"
            for sample in family.samples:
                assert sample.name == name, f"sample {sample.name} in family {name}"
                if name.startswith("refdesk_"):
                    assert tuple(sample.labels) == labels, f"{name}{sample.labels}: docs/operations.md gives labels {labels}"
                self.samples.setdefault(name, {})[tuple(sorted(sample.labels.items()))] = sample.value

    @property
    def names(self) -> set:
        return set(self.types)

    def value(self, name: str, **labels):
        """The sample's value, or None when there is no such series."""
        return self.samples.get(name, {}).get(tuple(sorted(labels.items())))

    def series(self, name: str) -> dict:
        """{((label, value), …): value} of a family."""
        return self.samples.get(name, {})


def scrape(port: int) -> Scrape:
    """GET /metrics on 127.0.0.1:`port`, checked for status and media type, parsed."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == CONTENT_TYPE
        return Scrape(response.read().decode())
