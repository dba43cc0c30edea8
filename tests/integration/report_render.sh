#!/bin/sh
# weirctl report on a replay-shaped directory, rendered in headless Chromium
# with no network: every plot must load (the page counts the images that
# decoded and exposes the count as data-plots-loaded on <body>).
set -u
WEIRCTL="$1"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
fail=0
check() { desc=$1; shift; if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fail=1; fi; }

# 600 flows over 60 s: normal ones score ~ +0.3, an attack burst at 30-40 s
# from 10.9.9.9 scores ~ -0.5 and is flagged; a few normal flows are flagged.
awk 'BEGIN {
	srand(7);
	printf "srcip,sport,dstip,dsport,proto,state,dur,sbytes,Stime,Ltime,attack_cat,Label,score,verdict,model_version\n";
	for (i = 0; i < 600; i++) {
		t = 1700000000 + i / 10.0;
		attack = (i >= 300 && i < 400);
		score = attack ? -0.5 + rand() * 0.3 : 0.3 + rand() * 0.4 - (i % 97 == 0 ? 0.8 : 0);
		verdict = score < 0 ? "anomaly" : "normal";
		src = attack ? "10.9.9.9" : sprintf("10.0.0.%d", i % 50 + 1);
		printf "%s,%d,192.168.1.%d,80,tcp,FIN,0.1,500,%.6f,%.6f,%s,%d,%.6f,%s,1\n", src, 10000 + i, i % 5 + 1, t, t + 0.1, attack ? "DoS" : "", attack, score, verdict;
	}
}' >"$TMP/flows.csv"
printf '{"event":"spike","time":1700000031.0,"interval_end":1700000040}\n{"event":"retrain","time":1700000050.0}\nnot json\n' >"$TMP/events.jsonl"
# weir-control's own form: wall-clock "time", event time as ISO 8601
printf '{"time":"2026-11-21T18:15:38.052408Z","event":"spike","interval_start":"2023-11-14T22:13:38.000000Z","interval_end":"2023-11-14T22:13:40.000000Z"}\n{"time":"2026-11-21T18:15:38.1Z","event":"retrain_started"}\n' >>"$TMP/events.jsonl"

out=$("$WEIRCTL" report "$TMP" 2>"$TMP/err"); rc=$?
check "report exits 0" [ "$rc" -eq 0 ]
check "report names its file" [ "$out" = "$TMP/report.html" ]
check "report is one self-contained page" sh -c "! grep -q 'src=\"http' '$TMP/report.html'"
check "top source is the attacker" sh -c "grep -o '<td>10.9.9.9</td><td>[0-9]*</td>' '$TMP/report.html' | grep -q 10.9.9.9"
check "events counted, ISO and numeric alike" grep -q "2 spikes, 2 retrains" "$TMP/report.html"
check "per-attack rates present" grep -q '<td>DoS</td><td>100</td><td>100</td>' "$TMP/report.html"

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "FAIL: chromium not installed (scripts/install-deps installs it)"; exit 1
fi
timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$TMP/profile" --virtual-time-budget=5000 \
	--dump-dom "file://$TMP/report.html" >"$TMP/dom.html" 2>"$TMP/chrome.err"
loaded=$(grep -o 'data-plots-loaded="[0-9]*"' "$TMP/dom.html" | grep -o '[0-9]*')
check "chromium rendered the page and all 3 plots loaded (got: ${loaded:-none})" [ "${loaded:-0}" -eq 3 ]

# ground truth joined by the report itself (flows.csv without labels)
mkdir "$TMP/nolabels"
cut -d, -f1-10,13- "$TMP/flows.csv" >"$TMP/nolabels/flows.csv"
awk -F, 'NR == 1 { print "srcip,sport,dstip,dsport,proto,stime,ltime,attack_cat,Label"; next }
	{ print $1 "," $2 "," $3 "," $4 "," $5 "," $9 "," $10 "," $11 "," $12 }' "$TMP/flows.csv" >"$TMP/truth.csv"
"$WEIRCTL" report "$TMP/nolabels" --labels "$TMP/truth.csv" --summary >"$TMP/summary" 2>"$TMP/err"; rc=$?
check "report --labels exits 0" [ "$rc" -eq 0 ]
check "joined truth gives the attack's detection rate" grep -q "DoS  *100 flows  *100 flagged  *100.00% detection rate" "$TMP/summary"
check "joined truth gives the false-positive rate" grep -q "normal  *500 flows  *6 flagged  *1.20% false-positive rate" "$TMP/summary"

# errors: no flows.csv
mkdir "$TMP/empty"
"$WEIRCTL" report "$TMP/empty" 2>"$TMP/err"; rc=$?
check "missing flows.csv exits 1" [ "$rc" -eq 1 ]
check "missing flows.csv is named" grep -q "empty/flows.csv: No such file" "$TMP/err"
exit $fail
