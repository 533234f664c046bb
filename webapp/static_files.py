"""/static/: content-hashed names, cached for good, precompressed, served by WhiteNoise.

At start-up every file under static/ gets a copy in instance/static/ named for its content
(`css/app.css` → `css/app.<12 hex of SHA-256>.css`), our own CSS and scripts minified first,
with `.br` and `.gz` beside it (WhiteNoise's compressor: brotli 11, gzip 9, kept when at least
5 % smaller). WhiteNoise answers those names before Flask sees the request, with `Cache-Control:
immutable` and the encoding the browser accepts; `url_for('static', filename=…)` names the
hashed copy, so pages and the service worker's shell follow. A name WhiteNoise does not know
falls through to Flask's own static view: the un-hashed name (an old page, an old worker) gets
the current file with `no-cache`, an unknown hash 404. Decisions: «Static files and
compression» in docs/decisions.md.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path

import rcssmin
import rjsmin
from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

HASH_LENGTH = 12
HASHED = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}(\.[^./]+)?$")
COMPRESSOR = Compressor(quiet=True)

_prepared: dict[tuple[str, str], tuple[str, bytes]] = {}
_encoded: dict[str, dict[str, bytes]] = {}


def hashed_name(name: str, data: bytes) -> str:
    """`css/app.css` → `css/app.1a2b3c4d5e6f.css`, the hash of the bytes that are served."""
    folder, _, base = name.rpartition("/")
    stem, dot, suffix = base.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    hashed = f"{stem}.{digest}.{suffix}" if dot and stem else f"{base}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


def minified(name: str, data: bytes) -> bytes:
    """Our own CSS and scripts without comments and spaces; vendored `.min.*` and the rest as is."""
    if name.endswith((".min.js", ".min.css")):
        return data
    if name.endswith(".css"):
        return rcssmin.cssmin(data.decode()).encode()
    if name.endswith(".js"):
        return rjsmin.jsmin(data.decode()).encode()
    return data


def encodings(name: str, data: bytes) -> dict[str, bytes]:
    """The `.br` and `.gz` variants worth keeping (none for PNG, JPEG, fonts, archives)."""
    if not COMPRESSOR.should_compress(name):
        return {}
    found = {}
    for suffix, packed in (
        (".br", COMPRESSOR.compress_brotli(data)),
        (".gz", COMPRESSOR.compress_gzip(data)),
    ):
        if COMPRESSOR.is_compressed_effectively(suffix, name, len(data), packed):
            found[suffix] = packed
    return found


def prepare(name: str, source: bytes) -> tuple[str, bytes]:
    """Hashed name and served bytes of one file, remembered per content."""
    key = (name, hashlib.sha256(source).hexdigest())
    if key not in _prepared:
        served = minified(name, source)
        _prepared[key] = (hashed_name(name, served), served)
    return _prepared[key]


def _variants(hashed: str, served: bytes) -> dict[str, bytes]:
    """`encodings` once per hashed name in a process: every app a test run makes reuses them."""
    if hashed not in _encoded:
        _encoded[hashed] = encodings(hashed, served)
    return _encoded[hashed]


def _write(path: Path, body: bytes, scratch: Path) -> None:
    """Write through a temporary file outside the served folder, then rename: a worker starting
    alongside never serves or scans a half-written file."""
    handle, temporary = tempfile.mkstemp(dir=scratch, prefix=".static-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def source_files(source: Path) -> list[Path]:
    """Every file under static/ but hidden ones."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(source).parts)
    )


def build(source: Path, target: Path) -> dict[str, str]:
    """Put each source file's hashed copy and its variants under `target` (only those missing:
    a hashed name's bytes never change); return the manifest, source name → hashed name. Older
    copies stay, so pages and workers from before a deploy still get their files."""
    target.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for path in source_files(source):
        name = path.relative_to(source).as_posix()
        hashed, served = prepare(name, path.read_bytes())
        manifest[name] = hashed
        final = target / hashed
        if final.exists():
            continue
        final.parent.mkdir(parents=True, exist_ok=True)
        # The file itself last: when it exists, its variants do too.
        for suffix, body in (*_variants(hashed, served).items(), ("", served)):
            _write(final.with_name(final.name + suffix), body, target.parent)
    return manifest


def is_immutable(_path: str, url: str) -> bool:
    """WhiteNoise's test for `Cache-Control: immutable`: a content-hashed name."""
    return bool(HASHED.search(url))


class HashedStatic:
    """The app's manifest and the WhiteNoise in front of it."""

    def __init__(self, app: Flask):
        self.source = Path(app.static_folder)
        self.target = Path(app.instance_path) / "static"
        self.prefix = app.static_url_path
        self.manifest = build(self.source, self.target)
        self.stamp = self._stamp()
        self.server: WhiteNoise | None = None

    def _stamp(self) -> tuple:
        return tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in source_files(self.source))

    def url_defaults(self, endpoint: str, values: dict) -> None:
        """`url_for('static', filename='css/app.css')` names the hashed copy."""
        if endpoint == "static" and "filename" in values:
            values["filename"] = self.manifest.get(values["filename"], values["filename"])

    def refresh(self) -> None:
        """DEBUG only: a file edited under static/ gets its new name on the next page."""
        stamp = self._stamp()
        if stamp != self.stamp:
            self.manifest = build(self.source, self.target)
            self.stamp = stamp
            if self.server is not None:
                self.server.add_files(str(self.target), prefix=self.prefix)


def init_app(app: Flask) -> None:
    """Build the hashed copies, name them in `url_for`, and serve them ahead of Flask."""
    from webapp.headers import static_file_headers

    files = HashedStatic(app)
    app.extensions["static_files"] = files
    app.url_defaults(files.url_defaults)
    files.server = WhiteNoise(
        app.wsgi_app,
        root=str(files.target),
        prefix=files.prefix,
        immutable_file_test=is_immutable,
        allow_all_origins=False,
        add_headers_function=static_file_headers(app.config["HTTPS"]),
    )
    app.wsgi_app = files.server
    if app.debug:
        app.before_request(files.refresh)
