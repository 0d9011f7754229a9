// The observation expectations of an `expect` step, by the names the plan compiler and the
// judge import; defined with their shapes in ./expect.ts.
export { CHECK_OPS } from './expect.js';
export type {
  ByteRead,
  CheckOp,
  DataExpect,
  DataSource,
  FlagsCheck,
  ForkPointsExpect,
  MapFileExpect,
  MapsLineExpect,
  NumberCheck,
  ObserveExpectation,
  Operand,
  PagemapExpect,
  QueryExpect,
  QueryOut,
  RecordExpect,
  RecordView,
  RollupExpect,
  AreaSmapsExpect,
  WindowSmapsExpect,
  Term,
  VmaList,
} from './expect.js';
export type { VmaSelector } from './resolve.js';
export type { AreaRange } from './area.js';
