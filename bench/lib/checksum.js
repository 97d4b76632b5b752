'use strict';
// One text form for a workload's result, so engines that hand back an integer as a
// float, a number or a BigInt still compare equal (the lua5.4 driver does the same).
function checksumText(v) {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (typeof v === 'string') return v;
  return `<${v === null ? 'null' : typeof v}>`;
}

module.exports = { checksumText };
