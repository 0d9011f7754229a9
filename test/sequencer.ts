// The order of the test files for vitest's two workers (vitest.config.ts): the suite on the
// default kernel first, then the host's own files, then the rest that boot guests. On an empty
// cache the suite's file builds the kernel (every guest file needs it): the other worker
// meanwhile runs the host's files, which need none, instead of waiting on the build's lock.
// (Not merely the first guest file: one that skips itself would hand the build to a later one.)
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The files of vitest.config.ts's `integration` project. */
const bootsGuests = (file: TestSpecification): boolean => file.project.name === 'integration';
const FIRST = '/test/integration/suite.test.ts';

/** vitest's order (failed first, then longest first), with the suite's file moved ahead of the host's files. */
export class KernelFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = sorted.find((f) => f.moduleId.endsWith(FIRST));
    if (!first) return sorted;
    return [first, ...sorted.filter((f) => !bootsGuests(f)), ...sorted.filter((f) => bootsGuests(f) && f !== first)];
  }
}
