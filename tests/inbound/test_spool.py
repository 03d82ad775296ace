"""The SMTP spool on a real disk: what is acknowledged is read back exactly once, whatever the writer did."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inbound.spool import SpooledMail, SpoolReader, SpoolWriter, encode_record

ROOT = Path(__file__).resolve().parents[2]


def mail(number: int, size: int = 200) -> bytes:
    head = f"From: a{number}@example.net\r\nSubject: Mail {number}\r\n\r\n".encode()
    return head + (f"Письмо {number}. ".encode() * size)[:size]


def write_all(writer: SpoolWriter, raws: list[bytes]) -> list[str]:
    """Writes every mail at once, as concurrent SMTP sessions would."""

    async def send() -> list[str]:
        to = ["support@example.com"]
        writes = (writer.write(raw, f"s{n}@example.net", to) for n, raw in enumerate(raws))
        return list(await asyncio.gather(*writes))

    return asyncio.run(send())


def drain(reader: SpoolReader) -> list[SpooledMail]:
    stored: list[SpooledMail] = []
    reader.drain(stored.append)
    return stored


def segments(spool: Path, pattern: str = "*.log") -> list[Path]:
    return sorted((spool / "journal").glob(pattern))


def test_concurrent_mails_are_all_read_back_once(tmp_path: Path) -> None:
    writer, reader = SpoolWriter(tmp_path), SpoolReader(tmp_path)
    raws = [mail(n) for n in range(40)]

    keys = write_all(writer, raws)

    assert len(set(keys)) == 40
    stored = drain(reader)
    assert [m.raw for m in stored] == raws
    assert [m.key for m in stored] == keys
    assert (stored[3].envelope_from, stored[3].envelope_to) == ("s3@example.net", ("support@example.com",))
    assert drain(reader) == []


def test_a_segment_is_kept_while_its_writer_uses_it_and_deleted_after(tmp_path: Path) -> None:
    writer, reader = SpoolWriter(tmp_path), SpoolReader(tmp_path)
    write_all(writer, [mail(1)])
    drain(reader)
    assert len(segments(tmp_path)) == 1  # the writer still appends to it

    write_all(writer, [mail(2)])
    assert [m.raw for m in drain(reader)] == [mail(2)]
    writer.close()

    assert drain(reader) == []
    assert segments(tmp_path) == []


def test_full_segments_rotate_and_a_mail_larger_than_a_segment_fits(tmp_path: Path) -> None:
    writer, reader = SpoolWriter(tmp_path, segment_size=16 * 1024), SpoolReader(tmp_path)
    raws = [mail(n, size=3000) for n in range(20)] + [mail(99, size=100_000)]

    for raw in raws:
        write_all(writer, [raw])

    assert [m.raw for m in drain(reader)] == raws
    assert len(segments(tmp_path)) <= 1  # every full one was released and deleted


def test_a_crashed_writers_segment_is_drained_and_deleted(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from inbound.spool import SpoolWriter
        writer = SpoolWriter(Path({str(tmp_path)!r}))
        async def main():
            await writer.write(b"Subject: one\\r\\n\\r\\nfirst", "a@example.net", ["support@example.com"])
            await writer.write(b"Subject: two\\r\\n\\r\\nsecond", "b@example.net", ["support@example.com"])
        asyncio.run(main())
        os._exit(0)  # no close: the lock goes with the process
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)

    stored = drain(SpoolReader(tmp_path))

    assert [m.raw.split(b"\r\n\r\n")[1] for m in stored] == [b"first", b"second"]
    assert segments(tmp_path) == []


def test_a_write_cut_short_by_a_crash_is_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    writer = SpoolWriter(tmp_path)
    write_all(writer, [mail(1), mail(2)])
    writer.close()
    [segment] = segments(tmp_path)
    end = segment.read_bytes().rstrip(b"\0").__len__()
    torn = encode_record(mail(3), "c@example.net", ["support@example.com"])[:150]
    with open(segment, "r+b") as handle:
        handle.seek(end)
        handle.write(torn)

    with caplog.at_level(logging.WARNING):
        stored = drain(SpoolReader(tmp_path))

    assert [m.raw for m in stored] == [mail(1), mail(2)]
    assert "cut short" in caplog.text
    assert segments(tmp_path, "*") == []


def test_a_damaged_segment_is_kept_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    writer = SpoolWriter(tmp_path)
    write_all(writer, [mail(1), mail(2)])
    writer.close()
    [segment] = segments(tmp_path)
    data = bytearray(segment.read_bytes())
    data[60] ^= 0xFF  # inside the first mail
    segment.write_bytes(bytes(data))

    with caplog.at_level(logging.ERROR):
        stored = drain(SpoolReader(tmp_path))

    assert stored == []
    assert "unreadable record" in caplog.text
    assert [p.name for p in segments(tmp_path, "*")] == [segment.with_suffix(".damaged").name]


def test_files_of_the_first_spool_format_are_still_drained(tmp_path: Path) -> None:
    legacy = tmp_path / "new"
    legacy.mkdir()
    envelope = b'{"from": "a@example.net", "to": ["support@example.com"]}'
    (legacy / "20261122T010203-abc").write_bytes(envelope + b"\n" + mail(1))

    stored = drain(SpoolReader(tmp_path))

    assert [(m.key, m.raw, m.envelope_from) for m in stored] == [
        ("20261122T010203-abc", mail(1), "a@example.net")
    ]
    assert list(legacy.iterdir()) == []


def test_a_write_that_fails_raises_and_the_next_one_succeeds(tmp_path: Path) -> None:
    writer, reader = SpoolWriter(tmp_path), SpoolReader(tmp_path)
    (tmp_path / "tmp").rmdir()
    (tmp_path / "tmp").write_text("not a folder")  # the segment cannot be created

    with pytest.raises(NotADirectoryError):
        write_all(writer, [mail(1)])

    (tmp_path / "tmp").unlink()
    (tmp_path / "tmp").mkdir()
    write_all(writer, [mail(2)])
    assert [m.raw for m in drain(reader)] == [mail(2)]
