import { describe, expect, it } from 'vitest';
import { compareVersions, isVersionRange, unmetRequirement, versionSatisfies } from '../../runner/kernel/requirements.js';

describe('kernel requirements', () => {
  it('compares versions numerically', () => {
    expect(compareVersions('6.12.117', '6.2')).toBe(1);
    expect(compareVersions('5.17', '5.17.0')).toBe(0);
    expect(compareVersions('6.1.0', '6.11')).toBe(-1);
  });

  it('checks ranges against releases with local suffixes', () => {
    expect(versionSatisfies('6.12.117', '>=5.17')).toBe(true);
    expect(versionSatisfies('6.12.0-rc1+', '>=6.2 <6.13')).toBe(true);
    expect(versionSatisfies('6.1.158', '>=6.2')).toBe(false);
    expect(versionSatisfies('6.11', '=6.11')).toBe(true);
    expect(versionSatisfies('6.12.117', '=6.12')).toBe(true);
    expect(versionSatisfies('6.12.117', '<=6.12')).toBe(true);
    expect(versionSatisfies('6.12.117', '>6.12')).toBe(false);
    expect(versionSatisfies('6.12.117', '<6.12.5')).toBe(false);
    expect(versionSatisfies('6.13.1', '=6.12')).toBe(false);
    expect(isVersionRange('>=5.17 <6.13')).toBe(true);
    expect(isVersionRange('>=5.x')).toBe(false);
  });

  it('gives the reason to skip', () => {
    const kernel = { release: '6.1.158', config: new Map([['ANON_VMA_NAME', 'y'], ['KSM', 'n']]) };
    expect(unmetRequirement({ kconfig: ['ANON_VMA_NAME'], kernel: '>=5.17' }, kernel)).toBeNull();
    expect(unmetRequirement({ kconfig: [], kernel: '>=6.11' }, kernel)).toBe('needs kernel >=6.11, this is 6.1.158');
    expect(unmetRequirement({ kconfig: ['KSM', 'USERFAULTFD'], kernel: null }, kernel)).toBe('needs CONFIG_KSM, CONFIG_USERFAULTFD, not set in this kernel');
  });
});
