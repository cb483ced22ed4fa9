// Cross-layer sharing plans (ALBERT, Universal Transformer, Takase & Kiyono's cycle and
// cycle-reverse, Subformer sandwich, MobileLLM block repeat, custom maps) live in one registry in
// @weft/core (calculator/sharing-plan.ts), which the real-scale calculator counts through and
// this package's builders (apply.ts) build through. A new plan is one `registerSharingPlan` call.
export {
  SHARING_PLANS, registerSharingPlan, planSlots, uniqueBlocks,
  type SharingPlan, type SharingPlanConfig, type SharingPlanEntry, type SlotMap,
  type GroupsPlanConfig, type CyclePlanConfig, type BlockRepeatPlanConfig, type CustomPlanConfig,
} from '@weft/core';
