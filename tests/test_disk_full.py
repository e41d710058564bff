"""A full disk (issue 14 item 18): no temporary file left behind, a plain page in the user's language.

The write failure is real: the process's file size limit (RLIMIT_FSIZE) makes the kernel refuse the
export's temporary file once it passes a few kilobytes, as a full disk refuses it.
"""

import contextlib
import resource
import signal
import tempfile

import pytest
from django.urls import reverse

from tests.factories import AccountFactory


@contextlib.contextmanager
def file_size_limit(limit_bytes: int):
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@pytest.fixture
def private_tempdir(tmp_path, monkeypatch):
    """Temporary files of this test alone (other processes write to /tmp too)."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


@pytest.mark.parametrize(
    ("language", "text"), [("en", "KAM cannot save right now"), ("zh-hans", "KAM 暂时无法保存")]
)
def test_an_export_on_a_full_disk_answers_a_plain_page_and_leaves_no_file(
    client, world, settings, private_tempdir, language, text
):
    settings.DEBUG = True  # make run's setting: still no debug page
    for number in range(120):
        AccountFactory(name=f"磁盘测试有限公司{number:04d}", owner=world.manager, region=world.east)
    client.force_login(world.admin)
    with file_size_limit(8 * 1024):
        response = client.get(reverse("accounts:list_export", args=["xlsx"]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 503
    assert text in response.text
    assert "Traceback" not in response.text and "technical" not in response.text.lower()
    assert list(private_tempdir.iterdir()) == []


def test_the_same_export_works_with_room_on_the_disk(client, world, private_tempdir):
    client.force_login(world.admin)
    response = client.get(reverse("accounts:list_export", args=["xlsx"]))
    assert response.status_code == 200 and response.content.startswith(b"PK")
    assert list(private_tempdir.iterdir()) == []
