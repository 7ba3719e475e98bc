// Peer benchmark: MQTT.js's parser (mqtt-packet) on the stream written by
// `mqttsim bench codec --write-stream`, fed in 64 KiB chunks like our stream decoder.
// Usage: node mqtt_packet_bench.js STREAM_FILE PACKETS REPS   (run by scripts/bench-codec-vs-mqttjs.sh)
'use strict';
const fs = require('fs');
const path = require('path');
const mqtt = require(path.resolve('build/peers/node_modules/mqtt-packet'));

const [file, packetsArg, repsArg] = process.argv.slice(2);
const stream = fs.readFileSync(file);
const expected = Number(packetsArg);
const reps = Number(repsArg);
const chunk = 64 * 1024;
const seconds = [];
for (let r = 0; r < reps; r++) {
  const parser = mqtt.parser({ protocolVersion: 4 });
  let count = 0;
  let failed = null;
  parser.on('packet', () => { count++; });
  parser.on('error', (e) => { failed = e; });
  const start = process.hrtime.bigint();
  for (let at = 0; at < stream.length; at += chunk) parser.parse(stream.subarray(at, at + chunk));
  const stop = process.hrtime.bigint();
  if (failed) throw failed;
  if (count !== expected) throw new Error(`decoded ${count} packets, expected ${expected}`);
  seconds.push(Number(stop - start) / 1e9);
}
seconds.sort((a, b) => a - b);
const median = seconds[Math.floor(seconds.length / 2)];
console.log(`mqtt-packet ${require(path.resolve('build/peers/node_modules/mqtt-packet/package.json')).version} (node ${process.version}):`);
console.log(`decode  ${(expected / median / 1e6).toFixed(2).padStart(8)} M packets/s  ${(stream.length / median / 1e6).toFixed(1).padStart(8)} MB/s`);
