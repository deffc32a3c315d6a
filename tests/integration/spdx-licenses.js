// node spdx-licenses.js PARSER_DIR SPDX.json: parses every licenseDeclared/licenseConcluded value
// with npm's spdx-expression-parse; each LicenseRef must be declared in hasExtractedLicensingInfos.
// Prints {"n": values, "mapped": parsed, "bad": [values that failed]}.
const parse = require(process.argv[2]); const doc = require(require("path").resolve(process.argv[3]));
const refs = new Set((doc.hasExtractedLicensingInfos || []).map(x => x.licenseId));
let bad = [], n = 0, mapped = 0;
for (const p of doc.packages) for (const k of ["licenseDeclared", "licenseConcluded"]) {
  const v = p[k]; if (!v || v === "NOASSERTION" || v === "NONE") continue; n++;
  try { parse(v); mapped++; } catch (e) { bad.push(v); }
  for (const r of v.match(/LicenseRef-[A-Za-z0-9.-]+/g) || []) if (!refs.has(r)) bad.push("undeclared " + r);
}
console.log(JSON.stringify({n, mapped, bad}));
