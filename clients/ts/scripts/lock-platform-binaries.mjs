#!/usr/bin/env node
// litesvm ships its native binary as one optional package per platform
// (litesvm-<os>-<cpu>[-<libc>]). The npm registry reachable from this
// project's machines serves only the linux-x64-gnu one, so `npm install`
// leaves the others out of package-lock.json, and `npm ci` then refuses the
// lockfile as out of sync with litesvm's optionalDependencies. This script
// adds an entry (version, os/cpu/libc, optional, no integrity) for each
// missing platform package, so `npm ci` accepts the lockfile and skips those
// packages on other platforms. Run it after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const PLATFORMS = {
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
};
const parent = lock.packages['node_modules/litesvm'];
if (!parent) throw new Error('litesvm is not in package-lock.json');
let added = 0;
for (const [name, version] of Object.entries(parent.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const platform = PLATFORMS[name.replace(/^litesvm-/, '')];
  if (!platform) throw new Error(`unknown litesvm platform package ${name}`);
  lock.packages[key] = {
    version,
    cpu: platform.cpu,
    dev: true,
    ...(platform.libc ? { libc: platform.libc } : {}),
    license: 'MIT',
    optional: true,
    os: platform.os,
    engines: parent.engines,
  };
  added++;
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a.localeCompare(b),
  ),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} litesvm platform entries added`);
