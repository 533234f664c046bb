"""A person's name as «Фамилия И.О.», and the one comparison of names written by hand."""

import unicodedata


def initials(given: str | None) -> str:
    """'А.' for 'анна', 'А.-М.' for 'Анна-Мария', '' for nothing."""
    parts = [part.strip() for part in (given or "").split("-") if part.strip()]
    return "-".join(part[0].upper() + "." for part in parts)


def short_name(surname: str, name: str | None, patronymic: str | None) -> str:
    """«Смирнова А.В.»: how documents, ФАЦ file names and the site's header write a person."""
    return f"{surname.strip()} {initials(name)}{initials(patronymic)}".strip()


def name_key(text: str | None) -> str:
    """A name reduced to what tells people apart: no spaces, one case, Ё as Е, NFC.

    «Смирнова А. В.», «смирнова а.в.» and «СМИРНОВА  А.В.» give the same key.
    """
    folded = unicodedata.normalize("NFC", text or "").casefold().replace("ё", "е")
    return "".join(folded.split())


def same_name(first: str | None, second: str | None) -> bool:
    """Whether two hand-written names are the same, ignoring spacing, case and Ё/Е."""
    return name_key(first) == name_key(second)
