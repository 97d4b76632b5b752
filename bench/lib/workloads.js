'use strict';
// The .lua workloads in bench/workloads/. Each starts with a header line
// `-- bench: group=pure n=<full size> smoke=<smoke size>`, reads its size from the
// global N and ends with `return checksum`.
const fs = require('fs');
const path = require('path');

const DIR = path.join(__dirname, '..', 'workloads');

function parseHeader(file, text) {
  const m = /^-- bench:(.*)$/m.exec(text);
  if (!m) throw new Error(`${file}: missing '-- bench: group=... n=... smoke=...' header`);
  const fields = Object.fromEntries(m[1].trim().split(/\s+/).map((kv) => kv.split('=')));
  const n = Number(fields.n);
  const smoke = Number(fields.smoke);
  if (!fields.group || !(n > 0) || !(smoke > 0)) throw new Error(`${file}: bad bench header '${m[0]}'`);
  return { group: fields.group, n, smoke };
}

/** Every workload: { name, file, group, n, smoke, description }. */
function listWorkloads() {
  return fs.readdirSync(DIR).filter((f) => f.endsWith('.lua')).sort().map((f) => {
    const file = path.join(DIR, f);
    const text = fs.readFileSync(file, 'utf8');
    const description = text.split('\n').slice(1).filter((l) => l.startsWith('-- '))
      .map((l) => l.slice(3)).join(' ').split('. ')[0].replace(/\.$/, '');
    return { name: f.slice(0, -4), file, description, ...parseHeader(f, text) };
  });
}

module.exports = { listWorkloads, DIR };
