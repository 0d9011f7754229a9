// The parts of the step model that the plan and the judge of the added steps import; defined
// with the steps in ../steps.ts and ../expect.ts.
export type { SpecialArea, SpecialExpectation } from '../expect.js';
export type { LockCall, MapBacking, NamePointer, NameTarget, SysctlValue } from '../steps.js';
