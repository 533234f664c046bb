#!/usr/bin/env bash
# Lighthouse (mobile) performance / accessibility / best-practices of the main pages, DESIGN §10.
# Needs Node.js + npm (registry access) and Debian's /usr/bin/chromium. Usage: bench/lighthouse.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-8767}
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$work" && npm install --silent --no-audit --no-fund lighthouse@13 >/dev/null)
export MEDKAB_INSTANCE_PATH="$work/instance" MEDKAB_DEBUG=0 MEDKAB_SECOND_FACTOR_OPTIONAL_FOR_WORKERS=1
cd "$root"
.venv/bin/flask --app wsgi db-migrate >/dev/null
.venv/bin/flask --app wsgi create-user --role worker --surname Иванова --name Мария --patronymic "" \
  --birth-date 1990-01-01 --snils 76543210903 --phone +79161234567 --email lh@example.ru \
  --password "длинная фраза для проверки" >/dev/null
.venv/bin/gunicorn --workers 2 --bind "127.0.0.1:$port" wsgi:app >"$work/gunicorn.log" 2>&1 &
echo $! >"$work/pid"
for _ in $(seq 50); do curl -sf "http://localhost:$port/login" >/dev/null && break; sleep 0.2; done
cookie=$(.venv/bin/python - "$port" <<'PY'
import http.cookiejar, re, sys, urllib.parse, urllib.request
base = f"http://localhost:{sys.argv[1]}"
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
html = opener.open(base + "/login").read().decode()
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
form = {"login": "+79161234567", "password": "длинная фраза для проверки", "csrf_token": token}
opener.open(base + "/login", urllib.parse.urlencode(form).encode())
print(next(c.value for c in jar if c.name == "medkab_session"))
PY
)
flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync"
printf '| page | performance | accessibility | best practices |\n| --- | ---: | ---: | ---: |\n'
for page in /login /register /reset / /profile/sessions /security; do
  headers='{}'
  case "$page" in /login|/register|/reset) ;; *) headers="{\"Cookie\": \"medkab_session=$cookie\"}";; esac
  CHROME_PATH=/usr/bin/chromium "$work/node_modules/.bin/lighthouse" "http://localhost:$port$page" \
    --quiet --extra-headers="$headers" --chrome-flags="$flags" \
    --only-categories=performance,accessibility,best-practices --output=json \
    --output-path="$work/report.json" >/dev/null 2>&1 || true
  python3 - "$page" "$work/report.json" <<'PY'
import json, sys
categories = json.load(open(sys.argv[2]))["categories"]
scores = [categories[k]["score"] for k in ("performance", "accessibility", "best-practices")]
print(f"| {sys.argv[1]} | " + " | ".join("—" if s is None else str(round(s * 100)) for s in scores) + " |")
PY
done
