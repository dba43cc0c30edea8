#!/bin/sh
# weir-gen -> weirctl extract: every flow the generator made must come out of
# the extractor as one record with exactly the packets and bytes (wire and
# IP) the generator says it wrote, and with the generator's label.
# usage: trafficgen_flows.sh WEIR_GEN WEIRCTL   (env: WEIR_SRC)
set -eu
gen=$1
weirctl=$2
src=${WEIR_SRC:?WEIR_SRC not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$gen" "$src/scripts/scenarios/demo.ini" -o "$tmp/demo.pcap" -l "$tmp/labels.csv" --extra -q
"$weirctl" extract "$tmp/demo.pcap" -o "$tmp/flows.csv" -l "$tmp/labels.csv" -x -q

# Columns are found by name in both headers, so a new column elsewhere does
# not break the join. Key: 5-tuple + start time (both at microseconds).
awk -F, '
function col(name,   i) { for (i = 1; i <= NF; i++) if ($i == name) return i;
	printf "trafficgen_flows: no column %s in %s\n", name, FILENAME; exit 2 }
FNR == 1 && NR == 1 {
	ls = col("srcip"); lsp = col("sport"); ld = col("dstip"); ldp = col("dsport")
	lp = col("proto"); lt = col("stime"); ll = col("Label")
	lsk = col("spkts"); ldk = col("dpkts"); lsb = col("sbytes"); ldb = col("dbytes")
	lsi = col("sbytes_ip"); ldi = col("dbytes_ip"); next }
NR == FNR {
	k = $ls "," $lsp "," $ld "," $ldp "," $lp "," $lt
	if (k in want) { printf "duplicate label key %s\n", k; dup++ }
	want[k] = $lsk " " $ldk " " $lsb " " $ldb " " $lsi " " $ldi
	lab[k] = $ll; rows++; next }
FNR == 1 {
	fs = col("srcip"); fsp = col("sport"); fd = col("dstip"); fdp = col("dsport")
	fp = col("proto"); ft = col("Stime"); fl = col("Label")
	fsk = col("Spkts"); fdk = col("Dpkts"); fsb = col("sbytes"); fdb = col("dbytes")
	fsi = col("sbytes_ip"); fdi = col("dbytes_ip"); next }
{
	k = $fs "," $fsp "," $fd "," $fdp "," $fp "," $ft
	recs++
	if (!(k in want)) { if (extra++ < 5) printf "record with no label row: %s\n", k; next }
	got = $fsk " " $fdk " " $fsb " " $fdb " " $fsi " " $fdi
	if (got != want[k]) { if (bad++ < 5) printf "%s: generator %s, extract %s\n", k, want[k], got }
	else if ($fl != lab[k]) { if (badl++ < 5) printf "%s: Label %s, expected %s\n", k, $fl, lab[k] }
	else ok++
	seen[k] = 1
}
END {
	for (k in want) if (!(k in seen)) { if (lost++ < 5) printf "flow not extracted: %s\n", k }
	printf "trafficgen_flows: %d label rows, %d records, %d exact, %d count mismatches, " \
	       "%d label mismatches, %d unlabelled records, %d flows missing\n",
	       rows, recs, ok, bad, badl, extra, lost
	if (rows < 10000 || ok != rows || recs != rows || dup) exit 1
}' "$tmp/labels.csv" "$tmp/flows.csv"
