#!/bin/sh
# check-docs.sh TOOLS — check the book itself, apart from the lab tests:
# every Mermaid diagram parses and renders (mermaid-cli, driving the
# system's Chromium), and the setup page's cloud-init is valid for
# cloud-init's schema. TOOLS is where mermaid-cli is installed with npm
# and kept between runs. The relative links are checked by make test.
set -eu

tools=${1:?usage: check-docs.sh TOOLS}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$tools"
tools=$(cd "$tools" && pwd)
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "check-docs: chromium not found — apt-get install chromium" >&2; exit 2; }
mmdc="$tools/node_modules/.bin/mmdc"
if [ ! -x "$mmdc" ]; then
	# Puppeteer would download a browser of its own; the system's will do.
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix "$tools" @mermaid-js/mermaid-cli@11.17.0 >/dev/null ||
		{ echo "check-docs: npm install @mermaid-js/mermaid-cli failed" >&2; exit 2; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Chromium refuses to run as root without --no-sandbox; nothing it renders
# here comes from outside the repository.
printf '{"executablePath": "%s", "args": ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]}\n' "$chromium" >"$work/puppeteer.json"

failed=0

# 1. Every ```mermaid block of every page, rendered to SVG.
cd "$top"
for page in README.md */README.md docs/*.md; do
	awk -v dir="$work" -v page="$page" -v name="$(echo "$page" | tr / _)" '
		/^```mermaid/ { n++; file = sprintf("%s/%s.%d.mmd", dir, name, n); inside = 1; print page ":" NR > (file ".where"); next }
		/^```/ && inside { inside = 0; next }
		inside { print > file }' "$page"
done
count=0
for mmd in "$work"/*.mmd; do
	[ -e "$mmd" ] || continue
	count=$((count + 1))
	where=$(cat "$mmd.where")
	if ! "$mmdc" -q -p "$work/puppeteer.json" -i "$mmd" -o "${mmd%.mmd}.svg" >"$mmd.log" 2>&1; then
		echo "check-docs: the diagram at $where does not render:"
		grep -v '^Generating' "$mmd.log" | head -8 | sed 's/^/  /'
		failed=1
	fi
done
echo "check-docs: $count diagrams rendered"

# 2. The cloud-init of the setup page, against cloud-init's own schema.
awk '/^#cloud-config/ { inside = 1 } /^```/ && inside { exit } inside' docs/setup.md >"$work/user-data"
if [ ! -s "$work/user-data" ]; then
	echo "check-docs: no #cloud-config block in docs/setup.md"
	failed=1
elif ! cloud-init schema --config-file "$work/user-data" >"$work/schema.log" 2>&1; then
	echo "check-docs: docs/setup.md's cloud-init is not valid:"
	sed 's/^/  /' "$work/schema.log"
	failed=1
else
	echo "check-docs: the cloud-init of docs/setup.md is valid"
fi
exit $failed
