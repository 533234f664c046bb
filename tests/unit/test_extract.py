"""The выписка PDF: text, embedded font, QR code, PAdES signature and the signing key."""

import io
import logging
import re
import subprocess
import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pikepdf
import pypdf
import pypdfium2
import pytest
import zxingcpp

from webapp.applications.extract import Extract, render
from webapp.applications.signature import (
    CERT_NAME,
    KEY_NAME,
    ensure_signing_key,
    sha256_hex,
    sign,
    validate,
)

SAMPLE = Extract(
    number="А-2026-000123",
    full_name="Смирнова Анна Викторовна",
    birth_date=date(1988, 4, 7),
    kind_title="Периодическая аккредитация специалиста",
    specialty="Терапия",
    protocol_number="12/2026",
    protocol_date=date(2026, 3, 10),
    decided_on=date(2026, 3, 11),
    valid_until=date(2031, 3, 11),
    verify_url="https://medkab.example.ru/check/Xk3v9QpL2mZr8TnB4wYc6HdJ1sFa7GeU0oKiV5bNqRt",
    issued_at=datetime(2026, 3, 15, 22, 5, tzinfo=UTC),  # 16.03.2026 01:05 in Moscow
    issuer="Аккредитационная комиссия Министерства здравоохранения Российской Федерации",
)
EXPECTED_TEXT = [
    "ВЫПИСКА",
    "Смирнова Анна Викторовна",
    "Терапия",
    "Периодическая аккредитация специалиста",
    "А-2026-000123",
    "16.03.2026",  # the date of the выписка, Moscow time
    "07.04.1988",
    "12/2026 от 10.03.2026",
    "11.03.2026",
    "до 11.03.2031",
    "Аккредитация пройдена",
    SAMPLE.verify_url,
]
PDFTOTEXT = Path("/usr/bin/pdftotext")
PDFINFO = Path("/usr/bin/pdfinfo")


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="module")
def signed(instance) -> bytes:
    return sign(render(SAMPLE), instance)


@pytest.fixture
def signed_file(signed, tmp_path) -> Path:
    path = tmp_path / "extract.pdf"
    path.write_bytes(signed)
    return path


def _squash(text: str) -> str:
    """Runs of spaces as one space, so a layout's column gaps do not split a phrase."""
    return re.sub(r"[ \t]+", " ", text)


def test_text_extracts_with_pypdf(signed):
    reader = pypdf.PdfReader(io.BytesIO(signed))
    assert len(reader.pages) == 1
    text = _squash(reader.pages[0].extract_text())
    for expected in EXPECTED_TEXT:
        assert expected in text
    assert reader.metadata.title == "Выписка № А-2026-000123"
    assert reader.metadata.author == SAMPLE.issuer
    assert "Смирнова Анна Викторовна" in reader.metadata.subject
    assert reader.metadata.creation_date == SAMPLE.issued_at


def test_pdftotext_reads_the_cyrillic_layout(signed_file):
    if not PDFTOTEXT.exists():
        pytest.skip("poppler-utils (pdftotext) is not installed")
    text = subprocess.run(
        [str(PDFTOTEXT), "-layout", str(signed_file), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    squashed = _squash(text)
    for expected in EXPECTED_TEXT:
        assert expected in squashed
    assert any(SAMPLE.verify_url in line for line in text.splitlines())  # on one line, whole


def test_pdfinfo_sees_one_a4_page_and_the_title(signed_file):
    if not PDFINFO.exists():
        pytest.skip("poppler-utils (pdfinfo) is not installed")
    info = subprocess.run(
        [str(PDFINFO), str(signed_file)], capture_output=True, text=True, check=True
    ).stdout
    fields = dict(
        (key.strip(), value.strip())
        for key, _sep, value in (line.partition(":") for line in info.splitlines())
    )
    assert fields["Pages"] == "1"
    assert fields["Title"] == "Выписка № А-2026-000123"
    assert "(A4)" in fields["Page size"]


def test_birth_date_may_be_unknown():
    pdf = render(replace(SAMPLE, birth_date=None))
    text = _squash(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "Дата рождения —" in text


def test_font_is_embedded_as_a_subset(signed):
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        descriptors = [
            obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor"
        ]
        assert descriptors
        assert all("/FontFile2" in descriptor for descriptor in descriptors)
        names = {str(descriptor.FontName) for descriptor in descriptors}
    assert all("DejaVu" in name and "+" in name for name in names)  # «ABCDEF+DejaVu…»: subset
    assert len(signed) < 100_000


def test_qr_code_decodes_to_the_verify_url(signed):
    page = pypdfium2.PdfDocument(signed)[0]
    image = page.render(scale=200 / 72).to_pil()
    codes = [
        code
        for code in zxingcpp.read_barcodes(image)
        if code.format == zxingcpp.BarcodeFormat.QRCode
    ]
    assert [code.text for code in codes] == [SAMPLE.verify_url]


def test_signature_validates_against_the_instance_certificate(signed, instance):
    result = validate(signed, instance / CERT_NAME)
    assert result.valid, result.reason
    assert result.intact
    assert result.signer == "Кабинет медработника"
    assert result.signed_at is not None and result.signed_at.tzinfo is not None
    assert result.reason == ""


def _byte_range(pdf: bytes) -> list[int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert match
    return [int(part) for part in match.groups()]


def test_flipping_a_signed_byte_breaks_the_signature(signed, instance):
    start, length, second, second_length = _byte_range(signed)
    assert start == 0 and second + second_length == len(signed)  # the whole file but /Contents
    stream = re.search(rb"stream\r?\n", signed)
    end = signed.index(b"endstream", stream.end())
    offset = (stream.end() + end) // 2  # the middle of the first stream's data
    assert start <= offset < start + length  # before the /Contents hole: signed bytes
    tampered = bytearray(signed)
    tampered[offset] ^= 0x01
    result = validate(bytes(tampered), instance / CERT_NAME)
    assert not result.valid
    assert not result.intact
    assert result.reason


def test_another_certificate_is_not_trusted(signed, tmp_path, caplog):
    _key, other = ensure_signing_key(tmp_path / "other")
    result = validate(signed, other)
    assert not result.valid
    assert result.intact  # the bytes are fine, the signer is not the trusted one
    assert result.reason
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # no traceback spam


def test_appended_update_is_not_valid(signed, instance):
    """An incremental update after signing (a changed page, say) makes the file not ours."""
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        pdf.docinfo["/Title"] = "Подделка"
        out = io.BytesIO()
        pdf.save(out)
    rewritten = out.getvalue()
    appended = signed + b"\n% appended\n"
    for changed in (rewritten, appended):
        assert not validate(changed, instance / CERT_NAME).valid


def test_unsigned_and_garbage_inputs_are_not_valid(instance):
    certificate = instance / CERT_NAME
    ensure_signing_key(instance)
    for data in (render(SAMPLE), b"", b"%PDF-1.7\nnot really", b"\x00" * 100):
        result = validate(data, certificate)
        assert not result.valid
        assert result.reason
    assert not validate(b"%PDF", instance / "missing.crt").valid


def test_ensure_signing_key_is_idempotent_and_private(tmp_path):
    key, cert = ensure_signing_key(tmp_path)
    assert (key.name, cert.name) == (KEY_NAME, CERT_NAME)
    assert key.stat().st_mode & 0o777 == 0o600
    before = (key.read_bytes(), cert.read_bytes())
    assert b"BEGIN PRIVATE KEY" in before[0]
    assert b"BEGIN CERTIFICATE" in before[1]
    assert ensure_signing_key(tmp_path) == (key, cert)
    assert (key.read_bytes(), cert.read_bytes()) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([KEY_NAME, CERT_NAME])


def test_racing_processes_end_with_one_matching_pair(tmp_path):
    results: list[tuple[Path, Path]] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        results.append(ensure_signing_key(tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([KEY_NAME, CERT_NAME])
    key, cert = results[0]
    assert validate(sign(render(SAMPLE), tmp_path), cert).valid


def test_sha256_hex():
    assert sha256_hex(b"") == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert len(sha256_hex(b"x")) == 64
