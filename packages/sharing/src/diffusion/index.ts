// DiT-Air at toy scale: a DiT-block denoiser with layer-wise shared weights, DDPM training and sampling, the energy distance.
export * from './energy-distance.js';
export * from './dit-denoiser.js';
export * from './ddpm.js';
