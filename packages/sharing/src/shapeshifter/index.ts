// Shapeshifter Networks (Neural Parameter Allocation Search): one parameter bank, any budget.
export * from './parameter-bank.js';
export * from './bank-linear.js';
export * from './shapeshifter-mlp.js';
