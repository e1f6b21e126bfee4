export { FaultPlan, type FaultHit, type FaultKind, type FaultMatch, type FaultRule } from './fault-plan.js';
