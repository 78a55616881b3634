#!/usr/bin/env node
// Validates one glTF 2.0 binary (.glb) with the Khronos glTF-Validator.
//
//   node tools/gltf-validate/validate.mjs [--strict] FILE.glb
//
// Prints a one-line summary ("FILE: 0 errors, 0 warnings, 1 infos, 0 hints (validator X)")
// followed by one line per issue ("  error ACCESSOR_... /accessors/0: message").
// Exit status: 0 when the report has no errors (with --strict: no errors and no warnings),
// 1 when it has, 2 when the file cannot be read or is not glTF at all.
// Installed by `npm ci --prefix tools/gltf-validate`; the ORFEAS export tests run it.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import validator from 'gltf-validator';

const kSeverityNames = ['error', 'warning', 'info', 'hint'];

function usage() {
  console.error('usage: node validate.mjs [--strict] FILE.glb');
  process.exit(2);
}

const args = process.argv.slice(2);
const strict = args.includes('--strict');
const files = args.filter((arg) => arg !== '--strict');
if (files.length !== 1 || files[0].startsWith('-')) usage();
const file = files[0];

let bytes;
try {
  bytes = new Uint8Array(await readFile(file));
} catch (error) {
  console.error(`${file}: cannot read: ${error.message}`);
  process.exit(2);
}

let report;
try {
  report = await validator.validateBytes(bytes, {
    uri: basename(file),
    format: 'glb',
    maxIssues: 1000,
    // A .glb from ORFEAS is self-contained; any external reference is itself a defect.
    externalResourceFunction: (uri) => Promise.reject(new Error(`external resource '${uri}'`)),
  });
} catch (error) {
  console.error(`${file}: validator could not parse the file: ${error}`);
  process.exit(2);
}

const issues = report.issues;
console.log(
  `${file}: ${issues.numErrors} errors, ${issues.numWarnings} warnings, ` +
    `${issues.numInfos} infos, ${issues.numHints} hints (validator ${validator.version()})`,
);
for (const message of issues.messages) {
  const severity = kSeverityNames[message.severity] ?? `severity ${message.severity}`;
  const where = message.pointer ?? (message.offset !== undefined ? `@${message.offset}` : '');
  console.log(`  ${severity} ${message.code} ${where}: ${message.message}`);
}

const failed = issues.numErrors > 0 || (strict && issues.numWarnings > 0);
process.exit(failed ? 1 : 0);
