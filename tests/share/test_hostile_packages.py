"""Hostile packages and workbooks end in one clear refusal, within bounded memory, never a traceback."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
import typer
from openpyxl import Workbook
from typer.testing import CliRunner

from maxim.reference import load_reference
from maxim.share import tabular
from maxim.share.archive import ArchiveRefused, Limits, SafeZip
from maxim.share.cli import import_app
from maxim.share.imports import Defaults, ImportRefused, import_package
from maxim.share.manifest import MANIFEST, PackageRefused
from maxim.share.service import build_package
from maxim.store.access import DataAccess
from tests.factories import report
from tests.share.helpers import SIGNER, as_, submit, trust, unzip

REF = load_reference()
MIB = 1024 * 1024
SMALL = Limits(members=10, member_bytes=4 * MIB, total_bytes=6 * MIB, archive_bytes=4 * MIB)


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _bomb(name: str, mib: int) -> bytes:
    """A zip with one member of `mib` MiB of zeros, written in chunks (a few hundred KB on disk)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w") as out:
        for _ in range(mib):
            out.write(bytes(MIB))
    return buffer.getvalue()


def _import(access: DataAccess, data: bytes) -> object:
    return import_package(access, data, source="p.zip", partner=None, defaults=Defaults(), ref=REF)


def _lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size set to `size` in its local header and central directory."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    patched = bytearray(data)
    struct.pack_into("<I", patched, info.header_offset + 22, size)
    at = data.find(b"PK\x01\x02")  # each central directory entry: its name at +46, its size at +24
    while at >= 0:
        (length,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46 : at + 46 + length].decode() == name:
            struct.pack_into("<I", patched, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(patched)


def test_a_small_package_declaring_a_huge_member_is_refused_before_inflating(access: DataAccess) -> None:
    bomb = _bomb("entities.ftm.jsonl", 200)
    assert len(bomb) < 1 * MIB
    with pytest.raises(PackageRefused, match=r"entities\.ftm\.jsonl: declares 200 MiB; at most 128 MiB a member"):
        _import(access, bomb)


def test_limits_hold_while_streaming_even_when_the_directory_lies() -> None:
    honest = _zip([("a.txt", bytes(3 * MIB)), ("b.txt", bytes(2 * MIB))])
    with SafeZip(honest, SMALL) as archive:
        assert len(archive.read("a.txt")) == 3 * MIB
        assert len(archive.read("b.txt")) == 2 * MIB
        with pytest.raises(ArchiveRefused, match="inflates to more than 6 MiB in all"):
            archive.read("a.txt")  # the running total counts every byte inflated, a second reading too
    with SafeZip(honest, SMALL) as archive, pytest.raises(ArchiveRefused, match=r"a\.txt: inflates to more than 1 MiB"):
        archive.read("a.txt", limit=MIB)
    lying = _lie_about_size(_zip([("a.txt", bytes(3 * MIB))]), "a.txt", 100)
    with SafeZip(lying, SMALL) as archive, pytest.raises(ArchiveRefused, match=r"a\.txt: damaged, cannot be inflated"):
        archive.read("a.txt")


def test_members_count_duplicates_compression_and_size_of_the_file_are_checked() -> None:
    with pytest.raises(ArchiveRefused, match="declares 11 members; at most 10"):
        SafeZip(_zip([(f"{i}.txt", b"x") for i in range(11)]), SMALL)
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = _zip([("a.txt", b"first"), ("a.txt", b"second")])
    with pytest.raises(ArchiveRefused, match=r"a\.txt: appears twice in the zip"):
        SafeZip(twice, SMALL)
    with pytest.raises(ArchiveRefused, match="compression method 12 is not accepted"):
        SafeZip(_zip([("a.txt", b"x" * 100)], zipfile.ZIP_BZIP2), SMALL)
    with pytest.raises(ArchiveRefused, match="the file is 5 MiB; at most 4 MiB"):
        SafeZip(bytes(5 * MIB), SMALL)
    with pytest.raises(ArchiveRefused, match="not a zip file"):
        SafeZip(b"PK\x03\x04 truncated", SMALL)


def _signed(access: DataAccess) -> dict[str, bytes]:
    rid = submit(access, report())
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    return unzip(build_package(liaison, "NCA", report_ids=[rid], signer=SIGNER).zip_bytes)


def test_duplicate_members_a_corrupt_stream_and_a_hostile_manifest_are_one_line_refusals(access: DataAccess) -> None:
    files = _signed(access)
    trust(access, "OTHER-FORCE")
    with pytest.warns(UserWarning, match="Duplicate name"):
        doubled = _zip([*files.items(), ("entities.ftm.jsonl", b'{"id": "x", "schema": "Person"}\n')])
    with pytest.raises(PackageRefused, match=r"entities\.ftm\.jsonl: appears twice in the zip"):
        _import(access, doubled)

    data = _zip(list(files.items()))
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(MANIFEST)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    corrupt = bytearray(data)
    corrupt[start + 10 : start + 40] = bytes(30)
    with pytest.raises(PackageRefused, match=r"manifest\.json: damaged, cannot be inflated") as refused:
        _import(access, bytes(corrupt))
    assert "\n" not in str(refused.value)

    nested = {**files, MANIFEST: b"[" * 100_000}
    with pytest.raises(PackageRefused, match=r"manifest\.json is nested too deeply"):
        _import(access, _zip(list(nested.items())))
    not_a_manifest = {**files, MANIFEST: b'{"format": "maxim-package", "files": [1, 2]}'}
    with pytest.raises(PackageRefused, match=r"manifest\.json is not a maxim-package manifest"):
        _import(access, _zip(list(not_a_manifest.items())))


# -- workbooks: `maxim import table` and `maxim ingest --mapping` ------------------------------

MAPPING = """
report: {originator: NCA, source_evaluation: "2", intelligence_assessment: B, handling_code: P}
columns: {Name: Person.name}
roles: {Person: suspect}
"""
BILLION_LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)
XXE = '<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def _workbook(sheet: bytes | None = None, encoding: str = "utf-8", dtd: str = "", entity: str = "") -> bytes:
    """A real workbook with a Name column, its sheet optionally replaced or given a DTD and an entity."""
    book = Workbook()
    book.active.append(["Name"])
    book.active.append(["Testperson Alpha"])
    buffer = io.BytesIO()
    book.save(buffer)
    original = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    part = "xl/worksheets/sheet1.xml"
    if sheet is None:
        xml = original.read(part).decode().replace("Testperson Alpha", entity or "Testperson Alpha")
        sheet = f'<?xml version="1.0" encoding="{encoding.upper()}"?>{dtd}{xml}'.encode(encoding)
    return _zip([(n, sheet if n == part else original.read(n)) for n in original.namelist()])


def _read(tmp_path: Path, data: bytes) -> tabular.TableRows:
    path = tmp_path / "people.xlsx"
    path.write_bytes(data)
    return tabular.read_table(path, tabular.parse_mapping(MAPPING, "m.yaml", REF))


def test_a_good_workbook_still_reads(tmp_path: Path) -> None:
    assert [row for _, row in _read(tmp_path, _workbook()).rows] == [{"Name": "Testperson Alpha"}]


@pytest.mark.parametrize(
    ("dtd", "entity", "encoding", "reason"),
    [
        (
            BILLION_LAUGHS,
            "&l9;",
            "utf-8",
            r"xl/worksheets/sheet1\.xml: contains <!DOCTYPE \(XML entities are refused\)",
        ),
        (XXE, "&x;", "utf-8", r"xl/worksheets/sheet1\.xml: contains <!DOCTYPE"),
        # In UTF-16 the bytes do not spell <!DOCTYPE; expat's own limits stop the attack, and the
        # error is still one line.
        (BILLION_LAUGHS, "&l9;", "utf-16", "is not a readable Excel workbook .*amplification"),
        (XXE, "&x;", "utf-16", "is not a readable Excel workbook .*undefined entity"),
    ],
)
def test_entity_attacks_in_a_workbook_are_refused_in_one_line(
    tmp_path: Path, dtd: str, entity: str, encoding: str, reason: str
) -> None:
    with pytest.raises(ImportRefused, match=reason) as refused:
        _read(tmp_path, _workbook(dtd=dtd, entity=entity, encoding=encoding))
    assert "\n" not in str(refused.value) and "root:" not in str(refused.value)


def test_a_zip_bomb_or_a_damaged_workbook_is_refused(tmp_path: Path) -> None:
    original = zipfile.ZipFile(io.BytesIO(_workbook()))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in original.namelist():
            if name != "xl/worksheets/sheet1.xml":
                archive.writestr(name, original.read(name))
        with archive.open("xl/worksheets/sheet1.xml", "w") as out:
            for _ in range(260):
                out.write(b" " * MIB)
    with pytest.raises(ImportRefused, match=r"sheet1\.xml: declares 260 MiB; at most 256 MiB a member"):
        _read(tmp_path, bomb.getvalue())
    whole = _workbook()
    with pytest.raises(ImportRefused, match="is not an acceptable Excel workbook: not a zip file"):
        _read(tmp_path, whole[: len(whole) // 2])
    with pytest.raises(ImportRefused, match="is not a readable Excel workbook"):
        _read(tmp_path, _workbook(sheet=b"<worksheet><sheetData><row><c"))


def test_import_table_with_a_hostile_workbook_exits_1_with_one_line(
    access: DataAccess, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAXIM_DATABASE_URL", database_url)
    (tmp_path / "m.yaml").write_text(MAPPING)
    (tmp_path / "people.xlsx").write_bytes(_workbook(dtd=BILLION_LAUGHS, entity="&l9;"))
    app = typer.Typer()
    app.add_typer(import_app, name="import")
    result = CliRunner().invoke(
        app, ["import", "table", str(tmp_path / "people.xlsx"), "--mapping", str(tmp_path / "m.yaml")]
    )
    assert result.exit_code == 1, result.output
    assert "contains <!DOCTYPE" in result.output and "Traceback" not in result.output
