"""Which certificate or accreditation is current for each specialty."""

ACCREDITATION_KINDS = ("certificate", "primary", "primary_special", "periodic")


def _get(item, name: str):
    """A field of a row (dict) or of a record object alike."""
    return item[name] if isinstance(item, dict) else getattr(item, name)


def current_certificates(items) -> dict:
    """Per specialty (case-insensitive, as the profile matches them), the certificate or
    accreditation that ends last; on a tie, the one entered last."""
    current: dict = {}
    for item in items:
        if _get(item, "kind") not in ACCREDITATION_KINDS:
            continue
        key = _get(item, "specialty").casefold()
        held = current.get(key)
        if held is None or (_get(item, "valid_until"), _get(item, "id")) > (
            _get(held, "valid_until"),
            _get(held, "id"),
        ):
            current[key] = item
    return current
