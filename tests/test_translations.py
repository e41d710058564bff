"""Every user-facing string ships in Simplified Chinese, and the committed .mo matches the .po."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT = Path(settings.BASE_DIR)
PO = PROJECT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SKIP_DIRS = {".venv", "var", "test-artifacts", "staticfiles", ".git", "node_modules", "tests"}


def _gettext_tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (GNU gettext) is needed to check translations: apt-get install gettext")
    return path


def _copy_sources(target: Path) -> None:
    for item in PROJECT.iterdir():
        if item.name in SKIP_DIRS:
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, target / item.name)


def test_every_string_has_a_simplified_chinese_translation(tmp_path):
    msgattrib = _gettext_tool("msgattrib")
    _gettext_tool("xgettext")
    _copy_sources(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete",
         "--ignore=.venv/*", "--ignore=var/*"],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    extracted = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    untranslated = subprocess.run(
        [msgattrib, "--untranslated", "--no-obsolete", str(extracted)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fuzzy = subprocess.run(
        [msgattrib, "--only-fuzzy", "--no-obsolete", str(extracted)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    missing = [line for line in untranslated.splitlines() if line.startswith("msgid ") and line != 'msgid ""']
    assert not missing, f"Translate these in {PO.relative_to(PROJECT)}: {missing}"
    assert "msgid" not in fuzzy.replace('msgid ""', ""), "Fuzzy translations need a review"


def test_compiled_catalogue_matches_the_po_file(tmp_path):
    msgfmt = _gettext_tool("msgfmt")
    compiled = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == MO.read_bytes(), "Run: python manage.py compilemessages"
