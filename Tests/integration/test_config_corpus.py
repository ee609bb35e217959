"""refdesk's configuration loading held against tomli, the reference TOML parser, on a corpus of valid and invalid
TOML documents: the toml-test cases that the `tomlkit` source distribution carries under tests/toml-test (fetched
with `pip download` into .build/config-corpus at test time) and refdesk's own example files.

refdesk reads a documented subset of TOML (docs/operations.md, "Configuration files"). The promise held here, per
document, against what tomli makes of it:
- a document tomli reads is either loaded with exactly tomli's values, or refused with a message that names the
  file, the line and the construct refdesk does not support ("… are not supported");
- a document tomli refuses is refused too, with the file and the line.
The counts are printed (`make test` shows them)."""
import datetime
import json
import re
import subprocess
import sys
import tarfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import tomli

from conftest import binary

ROOT = Path(__file__).resolve().parents[2]
TOMLKIT_SDIST = "tomlkit==0.15.3"
CORPUS_HOME = ROOT / ".build" / "config-corpus"
# tomli 2.5 reads TOML 1.1; toml-test lists the documents that apply to each version.
TOML_VERSION = "1.1.0"
UNSUPPORTED = re.compile(r"^(.+?) (?:are|is) not supported")
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::\d+)?: (?P<message>.+)$", re.S)


def corpus_root() -> Path:
    """tests/toml-test/tests of the tomlkit sdist, downloaded and unpacked once."""
    name = TOMLKIT_SDIST.replace("==", "-")
    tests = CORPUS_HOME / name / "tests" / "toml-test" / "tests"
    if not (tests / f"files-toml-{TOML_VERSION}").exists():
        CORPUS_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--no-binary", ":all:", TOMLKIT_SDIST, "-d", str(CORPUS_HOME)], check=True)
        with tarfile.open(CORPUS_HOME / f"{name}.tar.gz") as archive:
            wanted = [member for member in archive.getmembers() if member.name.startswith(f"{name}/tests/toml-test/tests/")]
            archive.extractall(CORPUS_HOME, members=wanted, filter="data")
    return tests


def tagged(value):
    """tomli's value in toml-test's tagged JSON form, as refdesk-configdecode prints refdesk's."""
    if isinstance(value, dict):
        return {key: tagged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [tagged(item) for item in value]
    if isinstance(value, bool):
        return {"type": "bool", "value": "true" if value else "false"}
    if isinstance(value, int):
        return {"type": "integer", "value": str(value)}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return {"type": type(value).__name__, "value": value.isoformat()}
    raise TypeError(f"unexpected {type(value)}")


def judge(path: Path, folder: str) -> dict:
    """What tomli and refdesk each make of one document."""
    try:
        reference = tagged(tomli.loads(path.read_bytes().decode("utf-8")))
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as error:
        reference = error
    result = subprocess.run([binary("refdesk-configdecode"), str(path)], capture_output=True, timeout=30)
    refusal = result.stderr.decode(errors="replace").strip() if result.returncode else None
    return {"path": path, "folder": folder, "reference": reference, "returncode": result.returncode,
            "refdesk": None if refusal else json.loads(result.stdout), "refusal": refusal}


@pytest.fixture(scope="module")
def results():
    root = corpus_root()
    documents = [(root / line, line.split("/")[0]) for line in (root / f"files-toml-{TOML_VERSION}").read_text().split()
                 if line.endswith(".toml")]
    documents += [(path, "example") for path in sorted((ROOT / "config").glob("*.example.toml"))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda document: judge(*document), documents))


def read_by_tomli(result) -> bool:
    return not isinstance(result["reference"], Exception)


def located(result) -> bool:
    """The refusal names the file and a line, as the daemons print it."""
    match = LOCATED.match(result["refusal"] or "")
    return bool(match) and match["file"] == str(result["path"])


def unsupported(result) -> str | None:
    """The construct a refusal says refdesk does not support ("dotted keys"), if it says so."""
    match = LOCATED.match(result["refusal"] or "")
    construct = match and UNSUPPORTED.match(match["message"])
    return construct.group(1) if construct else None


def test_refdesks_example_configurations_load_with_the_values_tomli_reads(results):
    examples = [r for r in results if r["folder"] == "example"]
    assert len(examples) == 3
    for result in examples:
        assert read_by_tomli(result), f"{result['path']}: {result['reference']}"
        assert result["refdesk"] == result["reference"], f"{result['path']}: {result['refusal']}"


def test_valid_toml_is_loaded_as_tomli_reads_it_or_refused_naming_the_unsupported_construct(results):
    for result in (r for r in results if r["folder"] == "valid" and read_by_tomli(r)):
        if result["refusal"] is None:
            assert result["refdesk"] == result["reference"], f"{result['path']} read differently from tomli"
        else:
            assert result["returncode"] == 1, f"{result['path']}: exit {result['returncode']}: {result['refusal']}"
            assert located(result) and unsupported(result), \
                f"{result['path']} is valid TOML, refused without naming what is unsupported: {result['refusal']}"


def test_invalid_toml_is_refused_with_its_file_and_line(results):
    for result in (r for r in results if not read_by_tomli(r)):
        assert result["refusal"] is not None, f"{result['path']}, which tomli refuses ({result['reference']}), was loaded"
        assert result["returncode"] == 1, f"{result['path']}: exit {result['returncode']}: {result['refusal']}"
        assert located(result) or "bytes" in result["refusal"], f"{result['path']}: refusal without a line: {result['refusal']}"


def test_tomli_and_toml_test_agree_on_every_document_and_the_counts_are_printed(results, capsys):
    corpus = [r for r in results if r["folder"] != "example"]
    disagreements = [str(r["path"]) for r in corpus if read_by_tomli(r) != (r["folder"] == "valid")]
    valid = [r for r in corpus if read_by_tomli(r)]
    invalid = [r for r in corpus if not read_by_tomli(r)]
    accepted = [r for r in valid if r["refdesk"] == r["reference"]]
    constructs = Counter(unsupported(r) for r in valid if unsupported(r))
    refused = [r for r in invalid if r["refusal"] is not None]
    examples = [r for r in results if r["folder"] == "example"]
    with capsys.disabled():
        print(f"\nconfig corpus: refdesk's loader against tomli {tomli.__version__} (TOML {TOML_VERSION}); "
              f"toml-test from the {TOMLKIT_SDIST} sdist, and config/*.example.toml")
        print(f"  valid (tomli reads them):    {len(valid)} documents")
        print(f"    loaded with tomli's values:      {len(accepted)}")
        print(f"    refused as unsupported:          {sum(constructs.values())}")
        for construct, count in constructs.most_common():
            print(f"      {count:4}  {construct}")
        print(f"    other (failures):                {len(valid) - len(accepted) - sum(constructs.values())}")
        print(f"  invalid (tomli refuses them): {len(invalid)} documents")
        print(f"    refused:                         {len(refused)}")
        print(f"    loaded anyway (failures):        {len(invalid) - len(refused)}")
        print(f"  refdesk's examples: {sum(r['refdesk'] == r['reference'] for r in examples)} of {len(examples)} "
              f"loaded with tomli's values")
        if disagreements:
            print(f"  tomli and toml-test disagree on: {', '.join(disagreements)}")
    assert len(corpus) > 600
    assert not disagreements
