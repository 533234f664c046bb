#!/usr/bin/env python3
"""Build webapp/auth/data/common-passwords.txt, the common-password blocklist.

Standard library only. Run from anywhere:

    python scripts/make_blocklist.py            # download the npm tarball and regenerate
    python scripts/make_blocklist.py --tarball language-common-4.1.3.tgz   # offline
    python scripts/make_blocklist.py --check    # exit 1 if the committed file is stale

The list is made of:

1. The most frequent entries of the password list shipped in the npm package
   @zxcvbn-ts/language-common (MIT), itself derived from zxcvbn's leaked-password
   frequency list (Dropbox, MIT). Entries are taken in frequency order.
2. Those English passwords typed on a keyboard left in the Russian (ЙЦУКЕН) layout,
   e.g. qwerty -> йцукен, password -> зфыыцщкв.
3. A hand-written list of common Russian passwords (names, pet names, everyday words,
   football clubs, cities, medical words, Cyrillic keyboard runs), expanded with the
   usual digit suffixes and years.
4. Every Cyrillic entry typed on a keyboard left in the English (QWERTY) layout,
   e.g. пароль -> gfhjkm, привет -> ghbdtn, любовь -> k.,jdm.
5. The Russian base words in Latin transliteration (parol, privet, lyubov, lubov ...),
   with the short suffix set.

Every entry is NFC-normalised and lowercased; entries shorter than 4 characters are
dropped; the output is deduplicated and sorted by code point, one entry per line.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import tempfile
import unicodedata
import urllib.request
from pathlib import Path

# --------------------------------------------------------------------------- source
NPM_PACKAGE = "@zxcvbn-ts/language-common"
NPM_VERSION = "4.1.3"
NPM_LICENSE = "MIT"
NPM_TARBALL = "https://registry.npmjs.org/@zxcvbn-ts/language-common/-/language-common-4.1.3.tgz"
# The registry's dist.integrity for this exact version (npm view ... dist.integrity).
NPM_INTEGRITY = (
    "sha512-g2bg4skmlJG9aJqC/nWziZzgYpSe/f3rKeGobrkdFiOrfZVFqqzUgC6BUQWuX54Sua9j0"
    "Jxxt+1bf4f/Mal1Kg=="
)
PASSWORDS_MEMBER = "package/src/passwords.json"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "webapp" / "auth" / "data" / "common-passwords.txt"

# ---------------------------------------------------------------------------- sizes
MIN_LENGTH = 4
ENGLISH_TOP = 6000  # most frequent English entries kept (after the length filter)
ENGLISH_TO_RU_LAYOUT_TOP = 1000  # of those, how many are also typed in the RU layout
MIN_ENTRIES = 3000
MAX_ENTRIES = 25000
MAX_BYTES = 300 * 1024

# ---------------------------------------------------------------------- RU passwords
# Tier 1: the most frequent Russian passwords; they get the full suffix set (years too).
RU_TIER1 = """
пароль привет любовь наташа солнышко максим марина андрей александр саша сергей
наталья дмитрий дима екатерина катя катюша анастасия настя ольга оля елена лена
татьяна таня светлана света юлия юля ирина ира анна аня мария маша алексей лёша
иван ваня владимир вова никита денис михаил миша артём кирилл роман рома евгений
женя павел паша олег игорь виктор антон илья егор дарья даша полина алина
кристина виктория вика ксения ксюша зайка зайчик котик котёнок малыш малышка
москва россия спартак зенит мама папа семья счастье люблю любимый любимая
люблютебя ялюблютебя ангел ангелочек принцесса кошка собака мишка
йцукен йцукенг фывапролдж ячсмит
"""

# Tier 2: further common Russian passwords; a short suffix set only.
RU_TIER2 = """
алла алиса анжела арина валентина валя вера галина галя дина диана ева евгения
жанна зоя инна карина кира лариса лиза елизавета лилия людмила люда маргарита
рита милана надежда надя нина оксана олеся раиса регина софия соня софья тамара
ульяна яна эльвира вероника валерия лера ангелина варвара василиса злата снежана
алёнка алёнушка алёна танюша машенька наташка настёна юленька иринка светик
борис вадим валерий валера василий вася виталий виталик владислав влад вячеслав
слава геннадий гена георгий григорий гриша данил даниил данила давид константин
костя леонид лёня марат матвей назар николай коля пётр петя руслан ринат семён
станислав стас степан тимур тимофей фёдор федя филипп эдуард эдик юрий юра
ярослав яков анатолий толя аркадий богдан глеб захар макс санёк серёга серёжа
андрюша димка димон лёшка вовка вован ванечка максимка
солнце зайчонок заинька котя киса кисуля щенок медведь лапочка лапуля принц
королева король красавица красотка цветочек ромашка роза весна лето осень зима
март апрель июнь июль август сентябрь октябрь ноябрь декабрь январь февраль
пятница воскресенье небо звезда звёздочка луна море океан река земля огонь вода
ветер радуга мечта мечты свобода победа удача судьба жизнь душа сердце сердечко
нежность поцелуй радость улыбка дружба друг подруга друзья домик дети сынок
доченька дочка бабушка дедушка мамочка мамуля папочка брат сестра сестрёнка жена
муж родной родная милый милая хороший хорошо отлично спасибо пожалуйста
здравствуйте приветик досвидания добро доброеутро яблоко апельсин банан лимон
клубника вишня малина шоколад конфета сахар мороженое пиво водка вино коньяк
кофе хлеб молоко колбаса картошка пельмени машина мотоцикл велосипед компьютер
интернет телефон мобила ноутбук игра игрушка футбол хоккей баскетбол спорт музыка
гитара фильм кино книга школа институт университет студент учитель работа
деньги бабки доллар рубль золото алмаз бриллиант жемчуг сокол орёл волк волчица
лиса лисичка тигр тигрёнок тигрица львёнок пантера дракон дельфин кролик хомяк
попугай рыбка пингвин бегемот слон ёжик белка барсик мурзик пушок шарик бобик
рыжик лорд бандит хакер админ администратор парольчик логин вход секрет
секретно тайна ключ доступ система сервер база проверка тест тестовый
новыйпароль мойпароль нетпароля пароли
цска динамо локомотив рубин торпедо барселона реал челси арсенал ливерпуль
ювентус милан питер петербург санктпетербург ленинград русский русь родина киев
украина минск беларусь казань сочи новосибирск екатеринбург самара омск ростов
владивосток сибирь урал волга кавказ крым ссср путин ленин сталин гагарин пушкин
господь иисус христос аллах демон дьявол сатана матрица бэтмен гаррипоттер
терминатор чебурашка винни пятачок карлсон простоквашино смешарики колобок
буратино незнайка наруто покемон майнкрафт танки контра варкрафт сталкер мафия
босс шеф боец солдат воин герой капитан пират ковбой котяра котэ чемпион
лучший супер классно круто крутой мега ололо хахаха хаха блин фигня ничего никто
понятно всёхорошо ялюблюмаму люблюмаму
сука блядь блять хуйня пизда жопа нахуй пошёлнахуй мудак козёл дурак дура идиот
лошара
врач доктор медик медсестра медбрат больница поликлиника клиника здоровье
здоровый медицина терапевт хирург педиатр аптека лекарство пациент скорая
фельдшер лечение госпиталь санитар анализ рецепт диагноз таблетка укол шприц
стетоскоп гиппократ главврач реанимация стоматолог невролог кардиолог гинеколог
акушер окулист травматолог минздрав медпортал
йцукенгш йцукенгшщ йцукенгшщз йцукенгшщзхъ фыва фывап фывапр фывапро фывапрол
фывапролд фывапролджэ ячсм ячсмить ячсмитьбю йфяцыч йфяцычувс
"""

SUFFIXES_SHORT = ("", "1", "12", "123", "1234", "777", "007")
SUFFIXES_TIER2 = ("", "1", "12", "123", "777")
SUFFIXES_LATIN = ("", "1", "123")  # tier 2 in Latin transliteration
SUFFIXES_FULL = (
    SUFFIXES_SHORT
    + ("11", "69", "666", "12345", "123456")
    + tuple(str(year) for year in range(2000, 2027))
)

# ---------------------------------------------------------------- keyboard layouts
# The same physical key in the Russian (ЙЦУКЕН) and the English (QWERTY) layout.
RU_TO_QWERTY = {
    "й": "q", "ц": "w", "у": "e", "к": "r", "е": "t", "н": "y", "г": "u", "ш": "i",
    "щ": "o", "з": "p", "х": "[", "ъ": "]", "ф": "a", "ы": "s", "в": "d", "а": "f",
    "п": "g", "р": "h", "о": "j", "л": "k", "д": "l", "ж": ";", "э": "'", "я": "z",
    "ч": "x", "с": "c", "м": "v", "и": "b", "т": "n", "ь": "m", "б": ",", "ю": ".",
    "ё": "`",
}  # fmt: skip
QWERTY_TO_RU = {latin: cyr for cyr, latin in RU_TO_QWERTY.items()}
QWERTY_TO_RU["/"] = "."  # the key right of "." gives "." in the Russian layout

# Latin transliteration as people type it in passwords: a main scheme that gets
# suffixes, and alternatives (ju/ja/j/kh/c, dropped soft sign) for the bare words.
TRANSLIT_MAIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
TRANSLIT_ALT = dict(
    TRANSLIT_MAIN, **{"ё": "yo", "й": "j", "х": "kh", "ц": "c", "щ": "shch",
                      "ю": "ju", "я": "ja", "ь": "'"}
)  # fmt: skip
TRANSLIT_SOFT = dict(TRANSLIT_MAIN, **{"ю": "u", "я": "a", "й": "i", "х": "x", "ё": "yo"})


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def type_with(table: dict[str, str], text: str) -> str:
    return "".join(table.get(ch, ch) for ch in text)


def ru_words(block: str) -> list[str]:
    """Base words of a block, in order, with an е-spelling added for each ё-spelling."""
    words: list[str] = []
    for word in block.split():
        for variant in (word, word.replace("ё", "е")):
            variant = normalise(variant)
            if variant not in words:
                words.append(variant)
    return words


# --------------------------------------------------------------------------- download
def sri_ok(data: bytes, integrity: str) -> bool:
    algo, _, digest = integrity.partition("-")
    return base64.b64encode(hashlib.new(algo, data).digest()).decode() == digest


def fetch_tarball(dest_dir: Path) -> Path:
    target = dest_dir / NPM_TARBALL.rsplit("/", 1)[1]
    print(f"downloading {NPM_TARBALL}", file=sys.stderr)
    with urllib.request.urlopen(NPM_TARBALL, timeout=120) as response:
        target.write_bytes(response.read())
    return target


def load_english(tarball: Path) -> list[str]:
    data = tarball.read_bytes()
    if not sri_ok(data, NPM_INTEGRITY):
        raise SystemExit(f"{tarball}: integrity mismatch, expected {NPM_INTEGRITY}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        manifest = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
        passwords = json.load(tar.extractfile(PASSWORDS_MEMBER))  # type: ignore[arg-type]
    if (manifest.get("name"), manifest.get("version")) != (NPM_PACKAGE, NPM_VERSION):
        raise SystemExit(f"{tarball}: not {NPM_PACKAGE}@{NPM_VERSION}")
    if manifest.get("license") != NPM_LICENSE:
        raise SystemExit(f"{tarball}: licence is {manifest.get('license')!r}, not MIT")
    if not isinstance(passwords, list) or len(passwords) < ENGLISH_TOP:
        raise SystemExit(f"{tarball}: unexpected {PASSWORDS_MEMBER}")
    return [str(p) for p in passwords]


# ----------------------------------------------------------------------------- build
def build(english_source: list[str]) -> list[str]:
    entries: set[str] = set()

    def add(word: str) -> None:
        word = normalise(word)
        if len(word) >= MIN_LENGTH and word.strip() == word and "\n" not in word:
            entries.add(word)

    # 1. English, in frequency order.
    english: list[str] = []
    seen: set[str] = set()
    for raw in english_source:
        word = normalise(raw)
        if len(word) >= MIN_LENGTH and word not in seen:
            seen.add(word)
            english.append(word)
        if len(english) == ENGLISH_TOP:
            break
    for word in english:
        add(word)

    # 2. English typed in the Russian layout (only if it has a letter to change).
    for word in english[:ENGLISH_TO_RU_LAYOUT_TOP]:
        if any("a" <= ch <= "z" for ch in word):
            add(type_with(QWERTY_TO_RU, word))

    # 3-5. Russian words, their suffixed forms, QWERTY typings and transliterations.
    tiers = (
        (ru_words(RU_TIER1), SUFFIXES_FULL, SUFFIXES_SHORT),
        (ru_words(RU_TIER2), SUFFIXES_TIER2, SUFFIXES_LATIN),
    )
    for words, suffixes, latin_suffixes in tiers:
        for base in words:
            for suffix in suffixes:
                add(base + suffix)
                add(type_with(RU_TO_QWERTY, base + suffix))
            for suffix in latin_suffixes:
                add(type_with(TRANSLIT_MAIN, base) + suffix)
            add(type_with(TRANSLIT_ALT, base))
            add(type_with(TRANSLIT_SOFT, base))
            add(type_with(TRANSLIT_ALT, base).replace("'", ""))

    return sorted(entries)


def render(entries: list[str]) -> bytes:
    return ("\n".join(entries) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", type=Path, help="local copy of the npm tarball")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="only compare with --output; exit 1 if different"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="blocklist-") as tmp:
        tarball = args.tarball or fetch_tarball(Path(tmp))
        entries = build(load_english(tarball))

    blob = render(entries)
    if not MIN_ENTRIES <= len(entries) <= MAX_ENTRIES:
        raise SystemExit(f"{len(entries)} entries, outside {MIN_ENTRIES}..{MAX_ENTRIES}")
    if len(blob) > MAX_BYTES:
        raise SystemExit(f"{len(blob)} bytes, over {MAX_BYTES}")

    if args.check:
        current = args.output.read_bytes() if args.output.exists() else b""
        if current != blob:
            print(f"{args.output} is stale: run python scripts/make_blocklist.py")
            return 1
        print(f"{args.output} is up to date ({len(entries)} entries)")
        return 0

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(blob)
    print(f"wrote {args.output}: {len(entries)} entries, {len(blob)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
