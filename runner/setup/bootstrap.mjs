#!/usr/bin/env node
// Set-up that needs no hand steps (run by `npm test` and `npm start` first):
// installs the npm dependencies when they are missing and the Debian packages
// vmaspec needs (apt-get, when running as root; otherwise prints the exact
// command and exits 2). Plain JavaScript with no dependencies: it runs before
// `npm ci` has.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Every program vmaspec, its kernel builds and its tests run, the Debian package
 * that has it, and why (test/unit/setup.test.ts finds each program the code names
 * and checks it is here). Some are in every Debian image (Essential: yes); they are
 * named all the same, so that nothing is installed by luck.
 */
export const PROGRAMS = {
  'qemu-system-x86_64': ['qemu-system-x86', 'boots the guest (qemu/x86_64.yaml)'],
  'musl-gcc': ['musl-tools', 'builds the static guest programs and custom probes'],
  gcc: ['gcc', 'builds the kernel'],
  cc: ['gcc', "host C: the TSC rate tool (runner/qemu/tsc-khz.c), the command server's client, and unit tests of the guest's C headers (newc.h)"],
  file: ['file', 'a unit test checks that the guest programs are linked statically'],
  make: ['make', 'builds the kernel and installs its headers'],
  flex: ['flex', 'kernel build (kconfig)'],
  bison: ['bison', 'kernel build (kconfig)'],
  bc: ['bc', 'kernel build (timeconst)'],
  perl: ['perl', 'kernel build scripts'],
  cpio: ['cpio', 'kernel build (kheaders)'],
  rsync: ['rsync', "make headers_install (the uapi headers the kernel's own selftests build against)"],
  patch: ['patch', 'applies --patch and gate series'],
  xz: ['xz-utils', 'extracts the kernel source'],
  tar: ['tar', 'extracts the kernel source'],
  git: ['git', 'git: kernels and gate --git (git archive, rev-list)'],
  python3: ['python3-minimal', "the kernel's kunit.py parses vmaspec's KTAP (tests)"],
  setpriv: ['util-linux', 'ties QEMU and --kernel host probes to vmaspec (parent-death signal)'],
  unshare: ['util-linux', '--kernel host: each case in a mount namespace of its own (a private /tmp)'],
  sh: ['dash', 'the parent-death guard before QEMU, git archive | tar'],
  cp: ['coreutils', 'working copies of kernel sources (hard links)'],
  true: ['coreutils', '--kernel host: a trial run of the case sandbox before the cases'],
  mkdir: ['coreutils', 'tests: scratch folders'],
  find: ['findutils', 'a working copy is proved pristine (the files a patch wrote anew)'],
  diff: ['diffutils', 'tests: a working copy against its source'],
  cmp: ['diffutils', 'tests: a working copy against its source'],
  mount: ['mount', 'tests: a small tmpfs as a full disk for the cache'],
  umount: ['mount', 'tests: a small tmpfs as a full disk for the cache'],
  'dpkg-query': ['dpkg', 'this set-up: which packages are installed'],
  'apt-get': ['apt', 'this set-up: installs what is missing; --kernel debian-image: apt-get download of the kernel package'],
  'apt-cache': ['apt', "--kernel debian-image: which versions of Debian's kernel package there are"],
  'dpkg-deb': ['dpkg', "--kernel debian-image: unpacks Debian's kernel package (nothing is installed)"],
  dpkg: ['dpkg', "--kernel debian-image: Debian's version order (dpkg --compare-versions)"],
  zstd: ['zstd', "--kernel debian-image: the vmlinux inside Debian's vmlinuz is zstd-compressed"],
  chromium: ['chromium', 'tests: the HTML report (runner/report/html.ts) is rendered in headless Chromium, driven by playwright-core'],
};

/** Packages that bring no program of their own: sources, headers and libraries the builds and tests read. */
export const DATA_PACKAGES = {
  'libelf-dev': 'kernel build (objtool)',
  'libssl-dev': 'kernel build (certificate tools)',
  'linux-source-6.12': 'the default kernel source',
  'linux-config-6.12': "Debian's own kernel configurations (a test checks P3 against them)",
  'linux-config-6.1': "Debian's own kernel configurations (a test checks P3 against them)",
  'fonts-dejavu-core': "the HTML report's text in headless Chromium (its browser test and screenshot)",
};

/** Debian packages and why each is needed. */
export const PACKAGES = {
  ...Object.fromEntries(Object.values(PROGRAMS).map(([pkg, why]) => [pkg, why])),
  ...DATA_PACKAGES,
};

function say(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function missingPackages(names) {
  const result = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\n', ...names], { encoding: 'utf8' });
  if (result.error) {
    say('dpkg-query is not available: vmaspec needs a Debian-like host (Debian 12 is what it is tested on)');
    process.exit(2);
  }
  const installed = new Set(
    result.stdout
      .split('\n')
      .filter((line) => line.endsWith(' installed'))
      .map((line) => line.split(' ')[0]),
  );
  return names.filter((name) => !installed.has(name));
}

function apt(args) {
  say(`$ apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

function installPackages(names) {
  const missing = missingPackages(names);
  if (missing.length === 0) return;
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  say(`missing Debian packages: ${missing.map((m) => `${m} (${PACKAGES[m] ?? 'asked for'})`).join(', ')}`);
  if (process.getuid?.() !== 0) {
    say(`not root, so not installing them. Run:\n  sudo apt-get update && sudo ${line}`);
    process.exit(2);
  }
  const args = ['install', '-y', '-q', '--no-install-recommends', ...missing];
  // A fresh machine has empty package lists: update, then install.
  if (!apt(args) && !(apt(['update', '-q']) && apt(args))) {
    say(`apt-get failed; run it by hand:\n  apt-get update && ${line}`);
    process.exit(2);
  }
  const still = missingPackages(missing);
  if (still.length > 0) {
    say(`still missing after apt-get: ${still.join(' ')}`);
    process.exit(2);
  }
}

function installNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && existsSync(join(root, 'node_modules', 'tsx'))) return;
  const useCi = existsSync(join(root, 'package-lock.json'));
  say(`npm dependencies are missing: npm ${useCi ? 'ci' : 'install'}`);
  const result = spawnSync('npm', [useCi ? 'ci' : 'install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    say('npm could not install the dependencies');
    process.exit(2);
  }
}

// Imported (by the set-up test) it only declares; run, it installs.
const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];

// `bootstrap.mjs --package NAME …`: only those Debian packages (a kernel source asked
// for by name, e.g. linux-source-6.1 for `--kernel debian:6.1`), no npm step.
const asked = process.argv.slice(2).filter((a, i, all) => all[i - 1] === '--package');
if (!isMain) {
  // declarations only
} else if (asked.length > 0) {
  installPackages(asked);
} else {
  installPackages(Object.keys(PACKAGES));
  installNodeModules();
}
