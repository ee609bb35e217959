"""The AIM bridge's table of HTML character references is generated from the documented source, and is current."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "bridges/aim/OSCAR/Text/HTMLEntityTable.swift"


def test_the_committed_entity_table_is_what_the_generator_writes(workdir):
    output = workdir / "HTMLEntityTable.swift"
    result = subprocess.run([sys.executable, str(ROOT / "scripts/generate-html-entities.py"), "--output", str(output)],
                            capture_output=True, text=True, check=True)
    assert "2231 names" in result.stdout
    assert output.read_text() == TABLE.read_text(), "run scripts/generate-html-entities.py and commit the table"
    lines = TABLE.read_text().splitlines()
    assert {"        eacute; E9", "        copy A9", "        euro; 20AC"} <= set(lines), "named references with and without ;"
