// A PEFT adapter as one zip file holding a folder with PEFT's own file names, made in the page with
// fflate: unzipped, `PeftModel.from_pretrained(model, "<folder>")` finds `adapter_config.json`
// and `adapter_model.safetensors` (two separate downloads cannot keep those names together).
import { strToU8, zipSync } from 'fflate';
import type { PeftAdapterOutput } from '@weft/sharing';

/** The file names PEFT reads in an adapter folder. */
export const PEFT_FILES = { config: 'adapter_config.json', weights: 'adapter_model.safetensors' } as const;

/** A zip of `folder/adapter_config.json` and `folder/adapter_model.safetensors`. */
export function peftAdapterZip(folder: string, adapter: PeftAdapterOutput): Uint8Array {
  if (!/^[A-Za-z0-9._-]+$/.test(folder) || folder === '.' || folder === '..') {
    throw new Error(`peftAdapterZip: folder="${folder}" must be one folder name of letters, digits, '.', '_' or '-'`);
  }
  return zipSync({
    [folder]: {
      [PEFT_FILES.config]: strToU8(adapter.config),
      // Weights barely compress: store them (level 0) and keep the zip instant.
      [PEFT_FILES.weights]: [adapter.safetensors, { level: 0 }],
    },
  });
}
