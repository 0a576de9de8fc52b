"""Packages are signed per installation; only a registered partner's unaltered package is imported."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from maxim.reference import load_reference
from maxim.share.cli import import_app, share_app
from maxim.share.imports import Defaults, import_package
from maxim.share.manifest import MANIFEST, SIGNATURE, PackageRefused, manifest
from maxim.share.service import build_package, register_partner_key
from maxim.share.signing import SigningKeyError, generate, installation_key
from maxim.store.access import DataAccess, Forbidden
from maxim.store.share_access import ShareAccess
from maxim.store.tables import reports
from tests.factories import report
from tests.share.helpers import SIGNER, as_, rezip, submit, trust, unzip

REF = load_reference()


def _count(access: DataAccess) -> int:
    with access.db.reader.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(reports)).scalar_one())


def _package(access: DataAccess) -> bytes:
    rid = submit(access, report())
    return build_package(
        as_(access, "liz", "SCD6-MAXIM", "partner_liaison"), "NCA", report_ids=[rid], signer=SIGNER
    ).zip_bytes


def _import(access: DataAccess, data: bytes, partner: str | None = None) -> object:
    return import_package(access, data, source="p.zip", partner=partner, defaults=Defaults(), ref=REF)


def test_the_installation_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "package-signing.key"
    first = installation_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert installation_key(path).key_id == first.key_id
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    path.write_text("not a key")
    with pytest.raises(SigningKeyError, match="not an unencrypted PEM private key"):
        installation_key(path)


def test_a_signed_package_imports_as_the_partner_whose_key_signed_it(access: DataAccess) -> None:
    data = _package(access)
    head = json.loads(unzip(data)[MANIFEST])
    assert head["signing_key"] == SIGNER.key_id and head["signature_algorithm"] == "Ed25519"
    trust(access, "OTHER-FORCE")
    result = _import(access, data)  # no --from: the key says who sent it
    assert [s.reference.split("/")[0] for s in result.submitted] == ["BOCU-LAMBETH"]  # type: ignore[attr-defined]
    assert access.report(result.submitted[0].report_id)["originator"] == "OTHER-FORCE"  # type: ignore[attr-defined, index]


def test_unsigned_unknown_rehashed_and_misattributed_packages_are_refused(access: DataAccess) -> None:
    data = _package(access)
    files = unzip(data)
    before = _count(access)

    with pytest.raises(
        PackageRefused, match=r"signed by key ed25519:\w+, which is not registered here \(unknown sender\)"
    ):
        _import(access, data)
    trust(access, "OTHER-FORCE")

    unsigned = {k: v for k, v in files.items() if k != SIGNATURE}
    with pytest.raises(PackageRefused, match=r"not signed \(manifest\.sig is missing\)"):
        _import(access, rezip(unsigned))

    # Tampered and re-hashed: every SHA-256 matches again, but the manifest is no longer what was signed.
    altered = {k: v for k, v in files.items() if k not in (MANIFEST, SIGNATURE)}
    altered["entities.ftm.jsonl"] = altered["entities.ftm.jsonl"].replace(b"Testperson Alpha", b"Someone Else")
    head = json.loads(files[MANIFEST])
    header = {k: v for k, v in head.items() if k not in ("format", "format_version", "files")}
    rehashed = {MANIFEST: json.dumps(manifest(altered, header)).encode(), SIGNATURE: files[SIGNATURE], **altered}
    with pytest.raises(PackageRefused, match=r"the signature does not match manifest\.json: altered after OTHER-FORCE"):
        _import(access, rezip(rehashed))

    # Re-signed by someone else's key, claiming to be ours: that key is unknown here.
    forger = generate()
    forged = {**header, "signing_key": SIGNER.key_id}
    body = json.dumps(manifest(altered, forged)).encode()
    signature = json.dumps({"algorithm": "Ed25519", "signature": forger.sign(body)}).encode()
    with pytest.raises(PackageRefused, match="the signature does not match"):
        _import(access, rezip({MANIFEST: body, SIGNATURE: signature, **altered}))

    with pytest.raises(
        PackageRefused, match=r"signed with the key of OTHER-FORCE \(ed25519:\w+\), not of NCA \(--from\)"
    ):
        _import(access, data, partner="NCA")
    assert _count(access) == before


def test_registering_keys_is_for_administrators_and_a_key_belongs_to_one_partner(access: DataAccess) -> None:
    pem = SIGNER.public_pem().encode()
    liaison = ShareAccess(as_(access, "liz", "SCD6-MAXIM", "partner_liaison"))
    with pytest.raises(Forbidden, match="for administrators"):
        register_partner_key(liaison, "NCA", pem, "nca.pem")
    admin = ShareAccess(as_(access, "ada", "SCD6-MAXIM", "administrator"))
    assert register_partner_key(admin, "NCA", pem, "nca.pem") == (SIGNER.key_id, True)
    assert register_partner_key(admin, "NCA", pem, "nca.pem") == (SIGNER.key_id, False)
    with pytest.raises(ValueError, match=r"already registered to NCA, not HOIE"):
        register_partner_key(admin, "HOIE", pem, "nca.pem")
    with pytest.raises(ValueError, match="'NOBODY' is not a partner code"):
        register_partner_key(admin, "NOBODY", generate().public_pem().encode(), "x.pem")
    with pytest.raises(SigningKeyError, match=r"x\.pem: not a PEM public key"):
        register_partner_key(admin, "NCA", b"-----BEGIN PUBLIC KEY-----\nnonsense\n", "x.pem")
    assert [(k["partner"], k["key_id"], k["added_by"]) for k in admin.partner_keys()] == [("NCA", SIGNER.key_id, "ada")]


def test_key_commands_and_a_refused_import_from_the_command_line(
    access: DataAccess, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    monkeypatch.setenv("MAXIM_DATABASE_URL", database_url)
    monkeypatch.setenv("MAXIM_SIGNING_KEY", str(tmp_path / "signing.key"))
    app = typer.Typer()
    app.add_typer(share_app, name="share")
    app.add_typer(import_app, name="import")
    runner = CliRunner()
    exported = runner.invoke(app, ["share", "key", "export"])
    assert exported.exit_code == 0 and exported.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    key_id = installation_key(tmp_path / "signing.key").key_id
    assert key_id in exported.output
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello")
    bad = runner.invoke(app, ["share", "key", "add", "NCA", str(garbage)])
    assert bad.exit_code == 1 and "garbage.pem: not a PEM public key" in bad.output
    assert "Traceback" not in bad.output
    package = tmp_path / "p.zip"
    package.write_bytes(_package(access))
    refused = runner.invoke(app, ["import", "package", str(package)])
    assert refused.exit_code == 1 and "unknown sender" in refused.output and "Traceback" not in refused.output
    listed = runner.invoke(app, ["share", "key", "list"])
    assert listed.exit_code == 0 and SIGNER.key_id not in listed.output
