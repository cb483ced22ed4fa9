// MoEUT: SwitchHead attention and the grouped, recurrent MoE Universal Transformer (σ-MoE from @weft/moe).
export * from './switch-head.js';
export * from './moeut.js';
