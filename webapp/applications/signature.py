"""The выписка's PAdES signature: the server's own key and self-signed certificate in instance/,
signing (PAdES B-B) and checking a signed PDF against that certificate. No Flask here."""

import asyncio
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from webapp.config import publish_once

KEY_NAME = "extract-signing.key"
CERT_NAME = "extract-signing.crt"
FIELD_NAME = "Signature"
REASON = "Выписка о прохождении аккредитации"
LOCATION = "Российская Федерация"
CERT_VALIDITY = timedelta(days=3652)  # ten years


@dataclass(frozen=True)
class Validity:
    """What a check of a signed выписка found. `valid` is the bottom line: the signed bytes are
    unchanged (`intact`), the signature is mathematically sound and the signer is the trusted
    certificate; `reason` explains a failure in a few words (empty when valid)."""

    valid: bool
    intact: bool
    signer: str | None
    signed_at: datetime | None
    reason: str


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of the bytes (the fingerprint stored next to an issued выписка)."""
    return hashlib.sha256(data).hexdigest()


def ensure_signing_key(
    instance_path: Path, common_name: str = "Кабинет медработника"
) -> tuple[Path, Path]:
    """The (key, certificate) paths in instance/, created on first use: an EC P-256 key (PEM,
    unencrypted, mode 0600) and a self-signed certificate for it, valid ten years.

    Each file is written to a temporary name and published with os.link, which fails when the
    name exists: of two racing processes the loser drops its own file and uses the winner's. The
    key is published first; the certificate is always made from the published key, so the pair
    matches whichever process wins each race."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_path = instance_path / KEY_NAME
    cert_path = instance_path / CERT_NAME
    if not key_path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        publish_once(key_path, pem)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not cert_path.exists():
        certificate = _self_signed(key, common_name)
        publish_once(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    if cert.public_key() != key.public_key():
        raise RuntimeError(f"{cert_path} does not belong to {key_path}")
    return key_path, cert_path


def _self_signed(key: ec.EllipticCurvePrivateKey, common_name: str) -> x509.Certificate:
    """A self-signed signing certificate for the key: digitalSignature + nonRepudiation."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RU"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)  # clock skew
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _outside_event_loop(function, *args):
    """pyHanko's synchronous calls run `asyncio.run()`, which refuses to start inside a thread
    that already runs an event loop (an embedding server, a test harness): there, call it from
    a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def sign(pdf: bytes, instance_path: Path) -> bytes:
    """The PDF with a PAdES B-B signature (invisible field «Signature») by the instance key,
    appended as an incremental update, so the original bytes stay as they were."""
    return _outside_event_loop(_sign, pdf, instance_path)


def _sign(pdf: bytes, instance_path: Path) -> bytes:
    key_path, cert_path = ensure_signing_key(instance_path)
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
    if signer is None:  # pyHanko logs the cause and returns None
        raise RuntimeError(f"cannot load the signing key {key_path}")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=REASON,
        location=LOCATION,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=output)
    return output.getvalue()


def validate(pdf: bytes, certificate_pem_path: Path) -> Validity:
    """Check the PDF's signature against the certificate as the only trust root. Never raises:
    an unsigned, tampered, foreign-signed or unreadable file answers valid=False."""
    return _outside_event_loop(_validate, pdf, certificate_pem_path)


def _validate(pdf: bytes, certificate_pem_path: Path) -> Validity:
    try:
        root = load_cert_from_pemder(str(certificate_pem_path))
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if not reader.embedded_signatures:
            return Validity(False, False, None, None, "документ не подписан")
        embedded = reader.embedded_signatures[-1]
        # A foreign certificate is untrusted whatever else holds; checked here rather than by
        # the path builder, which logs a warning with a traceback for every such file. The
        # signature is still checked (with its own certificate as the root) to report `intact`.
        ours = embedded.signer_cert.dump() == root.dump()
        context = ValidationContext(
            trust_roots=[root if ours else embedded.signer_cert], allow_fetching=False
        )
        status = validate_pdf_signature(embedded, signer_validation_context=context)
    except Exception as error:  # any unreadable input is simply «not valid»
        return Validity(False, False, None, None, f"файл не читается: {type(error).__name__}")
    signer = status.signing_cert.subject.native.get("common_name") if status.signing_cert else None
    if not status.intact:
        reason = "подписанное содержимое изменено"
    elif not status.valid:
        reason = "подпись недействительна"
    elif not ours or not status.trusted:
        reason = "подпись сделана не ключом сервиса"
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        reason = "после подписания в документ дописаны изменения"
    else:
        reason = ""
    return Validity(
        valid=not reason,
        intact=bool(status.intact),
        signer=signer,
        signed_at=status.signer_reported_dt,
        reason=reason,
    )
