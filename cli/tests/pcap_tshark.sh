#!/usr/bin/env bash
# capture.pcap against Wireshark's own MQTT dissector: on a loss-free run (no retransmissions)
# tshark must decode exactly the MQTT packets per type that report.json counted on the wire, and
# flag nothing as malformed. Usage: pcap_tshark.sh MQTTSIM SCENARIO WORKDIR
set -eu
bin=$1 scenario=$2 dir=$3
command -v tshark >/dev/null || { echo "tshark is not installed"; exit 1; }
rm -rf "$dir"
"$bin" run "$scenario" --quiet --out "$dir" --set measure.pcap=true \
  --set clients.sensor.attach.loss=0 --set clients.sensor.attach.ber=0
ours=$(/usr/bin/python3 -c '
import json, sys
names = {"CONNECT":1,"CONNACK":2,"PUBLISH":3,"PUBACK":4,"PUBREC":5,"PUBREL":6,"PUBCOMP":7,
         "SUBSCRIBE":8,"SUBACK":9,"UNSUBSCRIBE":10,"UNSUBACK":11,"PINGREQ":12,"PINGRESP":13,
         "DISCONNECT":14,"AUTH":15}
for w in sorted(json.load(open(sys.argv[1]))["wire"], key=lambda w: names[w["packet_type"]]):
    print(names[w["packet_type"]], w["packets"])' "$dir/report.json")
theirs=$(tshark -r "$dir/capture.pcap" -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null |
         tr ',' '\n' | sort -n | uniq -c | awk '{print $2, $1}')
malformed=$(tshark -r "$dir/capture.pcap" -Y '_ws.malformed || _ws.expert.severity == error' \
            2>/dev/null | wc -l)
echo "report.json: $(echo $ours)"
echo "tshark:      $(echo $theirs)"
echo "malformed:   $malformed"
[ "$ours" = "$theirs" ] && [ "$malformed" = 0 ]
