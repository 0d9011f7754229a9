import { describe, expect, it } from 'vitest';
import { unmetRequirement } from '../../runner/kernel/requirements.js';

// The version ranges themselves: test/unit/version-range.test.ts.
describe('kernel requirements', () => {
  it('gives the reason to skip', () => {
    const kernel = { release: '6.1.158', config: new Map([['ANON_VMA_NAME', 'y'], ['KSM', 'n']]) };
    expect(unmetRequirement({ kconfig: ['ANON_VMA_NAME'], kernel: '>=5.17' }, kernel)).toBeNull();
    expect(unmetRequirement({ kconfig: [], kernel: '>=6.11' }, kernel)).toBe('needs kernel >=6.11, this is 6.1.158');
    expect(unmetRequirement({ kconfig: ['KSM', 'USERFAULTFD'], kernel: null }, kernel)).toBe('needs CONFIG_KSM, CONFIG_USERFAULTFD, not set in this kernel');
  });
});
