// The order of the test files for vitest's two workers (vitest.config.ts): one file that boots
// guests first, then the host's own files, then the rest that boot guests. On an empty cache the
// first guest file builds the kernel (all of them need it): the other worker meanwhile runs the
// host's files, which need no kernel, instead of waiting on the build's lock.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const bootsGuests = (file: TestSpecification): boolean => file.moduleId.includes('/test/integration/');

/** vitest's order (failed first, then longest first), with the first guest file moved ahead of the host's files. */
export class KernelFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const [first, ...rest] = sorted.filter(bootsGuests);
    return first ? [first, ...sorted.filter((f) => !bootsGuests(f)), ...rest] : sorted;
  }
}
