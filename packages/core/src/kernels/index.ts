// Weft's registered training kernels (filled by the kernels work): `registerTrainingKernels`
// registers, once per backend, the kernels that gradients need and the backend lacks or has slow.
const registered = new Set<string>();

/** Register Weft's training kernels on `backend` (idempotent). */
export function registerTrainingKernels(backend: string): void {
  if (registered.has(backend)) return;
  registered.add(backend);
}
