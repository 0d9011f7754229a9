// A file the command line names that is not there (issue 13, bug 8) is E_USAGE naming the
// flag and the path, found when the kernel request is made, before anything is built;
// it was a bare ENOENT, printed as an internal error with a stack trace.
import { describe, expect, it } from 'vitest';
import { VmaspecError } from '../../runner/errors.js';
import { buildKernelRequest, type KernelOptions } from '../../runner/kernel/request.js';
import { loadArch } from '../../runner/qemu/arch.js';

const cases: [string, KernelOptions, string][] = [
  ['--kconfig', { kconfig: ['/nonexistent/extra.config'] }, '--kconfig /nonexistent/extra.config: no such file'],
  ['--patch', { patches: ['/nonexistent/fix.patch'] }, '--patch /nonexistent/fix.patch: no such file'],
  ['--kernel-image', { image: '/nonexistent/vmlinux' }, '--kernel-image /nonexistent/vmlinux: no such file'],
  ['--kernel-config', { image: '/bin/true', config: '/nonexistent/.config' }, '--kernel-config /nonexistent/.config: no such file'],
  ['--kernel-config (its default)', { image: '/bin/true' }, '--kernel-config /bin/.config: no such file (the default: .config beside --kernel-image)'],
  ['--kconfig (a directory)', { kconfig: ['/tmp'] }, '--kconfig /tmp: not a file'],
  ['--kernel-tree', { tree: '/nonexistent/linux' }, '--kernel-tree /nonexistent/linux: no such directory'],
  ['--kernel-build', { tree: '/tmp', build: '/nonexistent/build' }, '--kernel-build /nonexistent/build: no such directory'],
  ['--kernel-build (a file)', { tree: '/tmp', build: '/bin/true' }, '--kernel-build /bin/true: not a directory'],
  ['--kernel-config (the .config a tree starts from)', { tree: '/tmp', config: '/nonexistent/.config' }, '--kernel-config /nonexistent/.config: no such file'],
];

describe('a file the command line names that is not there', () => {
  for (const [flag, options, message] of cases) {
    it(`${flag} is E_USAGE naming the flag and the path`, async () => {
      const spec = await loadArch('x86_64');
      let error: unknown;
      try {
        buildKernelRequest(options, spec);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(VmaspecError);
      expect((error as VmaspecError).code).toBe('E_USAGE');
      expect((error as VmaspecError).message).toBe(message);
    });
  }
});
