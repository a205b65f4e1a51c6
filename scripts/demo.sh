#!/usr/bin/env bash
# The demo: a case made from the bundled samples/ — init, add, verify, list, log, export.
# Uses its own key store (.demo-home/) so it never touches your real evkit key.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export EVKIT_HOME="$PWD/.demo-home"
export PATH="$PWD/.venv/bin:$PATH"
rm -rf demo-case demo-handover.zip demo-handover.receipt.*
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
say evkit init demo-case --title "Romance scam 2026 (demo)" --collector "Jane Doe" ...
evkit init demo-case --title "Romance scam 2026 (demo)" --collector "Jane Doe" \
  --email jane@example.org --incident "Met 'Mark' on a dating app; sent GBP 1,930 in 3 transfers" \
  --jurisdiction "England and Wales" --ref "Action Fraud=NFRC261100123" --timezone Europe/London </dev/null
cd demo-case
files=(../samples/*.png ../samples/*.jpg ../samples/*.eml ../samples/*.csv)
say evkit add "${files[@]}" --source "demo samples"
evkit add "${files[@]}" --source "demo samples"
say evkit list
evkit list
say evkit show E0003
evkit show E0003
say evkit verify
evkit verify
say 'evkit note "Mark asked for GBP 250 for a flight ticket" --at "2026-11-19 21:30"'
evkit note "Mark asked for GBP 250 for a flight ticket" --at "2026-11-19 21:30" --item E0001
say evkit loss add --amount 250.00 --currency GBP --date 2026-11-20 --method "bank transfer" ...
evkit loss add --amount 250.00 --currency GBP --date 2026-11-20 --method "bank transfer" \
  --to-account "12-34-56 12345678" --item E0005
say evkit timeline
evkit timeline
say evkit status
evkit status
say evkit report
evkit report
say evkit report --for police
evkit report --for police
say evkit log
evkit log
if evkit --help | grep -q '^  export'; then
  say evkit export --to ../demo-handover.zip --recipient "DC Sam Patel, Metropolitan Police"
  evkit export --to ../demo-handover.zip --recipient "DC Sam Patel, Metropolitan Police" \
    --reference NFRC261100123 --purpose "Handover for investigation"
  say evkit verify ../demo-handover.zip
  evkit verify ../demo-handover.zip
fi
say "sha256sum -c manifest-sha256.txt   # without evkit"
sha256sum --quiet -c manifest-sha256.txt && echo "manifest-sha256.txt: all files OK"
say "openssl pkeyutl -verify -pubin -inkey evkit/collector.pub.pem -rawin -in evkit/seal.json -sigfile evkit/seal.sig"
openssl pkeyutl -verify -pubin -inkey evkit/collector.pub.pem -rawin -in evkit/seal.json -sigfile evkit/seal.sig
echo
echo "Demo case: $PWD"
