// Training: the trainer, losses and optimisers.
export * from './trainer.js';
export * from './optimizer.js';
export * from './losses.js';
export * from './fused-optimizers.js';
