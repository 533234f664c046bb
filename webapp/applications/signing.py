"""The simple electronic signature of a submission (DESIGN §7): the SHA-256 of a canonical form of
the application and its attachments, which the worker confirms with a passkey (the hash is the
WebAuthn challenge, so the authenticator signs it) or with an SMS code sent for that hash.

The canonical form is JSON with sorted keys and no spaces; attachments enter by their own
SHA-256, so the signed hash covers every byte the reviewer will see.
"""

import hashlib
import json

FORMAT = "medkab-application-v1"


def canonical(application: dict, applicant: dict, attachments: list[dict]) -> bytes:
    """The bytes that are signed. `attachments`: doc_type, title, sha256, size."""
    data = application["data"]
    form = {
        "format": FORMAT,
        "application": application["id"],
        "kind": application["kind"],
        "specialty": application["specialty"],
        "region": application.get("region"),
        "applicant": {
            "id": applicant["id"],
            "surname": applicant["surname"],
            "name": applicant["name"],
            "patronymic": applicant["patronymic"],
            "birth_date": str(applicant["birth_date"]),
        },
        "contacts": data.get("contacts", {}),
        "fields": data.get("fields", {}),
        "hours": sorted(data.get("hours", [])),
        "record": data.get("record"),
        "attachments": sorted(
            ({k: a[k] for k in ("doc_type", "title", "sha256", "size")} for a in attachments),
            key=lambda a: (a["doc_type"], a["sha256"]),
        ),
    }
    return json.dumps(form, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def digest(canonical_form: bytes) -> str:
    """The hex SHA-256 that is signed and shown."""
    return hashlib.sha256(canonical_form).hexdigest()


def grouped(hex_digest: str) -> str:
    """The hash as people read it aloud: groups of four, «3f2a 91c0 …»."""
    return " ".join(hex_digest[i : i + 4] for i in range(0, len(hex_digest), 4))
