// Several named adapters in PEFT's directory layout (PeftModel.save_pretrained with more than one
// adapter): "default" at the top (adapter_config.json, adapter_model.safetensors), every other
// adapter in a folder of its name. Files are given and returned as relative path → contents.
import { checkKnownKeys, describeValue, type Module } from '@weft/core';
import { adapterNames } from './inject.js';
import { loadPeftAdapter, savePeftAdapter, type LoadPeftOptions, type PeftOptions } from './peft.js';

/** A PEFT directory: relative path (e.g. "adapter_config.json", "fr/adapter_model.safetensors") → text or bytes. */
export type PeftDirectory = Record<string, string | Uint8Array | ArrayBuffer>;

const CONFIG = 'adapter_config.json';
const WEIGHTS = 'adapter_model.safetensors';

/** The folder of adapter `name` ('' for "default", PEFT's rule). */
function folderOf(name: string): string {
  return name === 'default' ? '' : `${name}/`;
}

/** Save adapters `names` (default: all of the model's) in PEFT's directory layout. */
export async function savePeftDirectory(model: Module<any, any>, options: Omit<PeftOptions, 'name'> & { names?: string[] } = {}): Promise<PeftDirectory> {
  checkKnownKeys('savePeftDirectory: options', options, ['names', 'rename', 'rng']);
  const names = options.names ?? adapterNames(model);
  if (!Array.isArray(names) || names.length === 0) throw new Error(`savePeftDirectory: names=${describeValue(names)} must list at least one adapter of the model`);
  const out: PeftDirectory = {};
  for (const name of names) {
    const files = await savePeftAdapter(model, { name, ...(options.rename ? { rename: options.rename } : {}) });
    out[`${folderOf(name)}${CONFIG}`] = files.config;
    out[`${folderOf(name)}${WEIGHTS}`] = files.safetensors;
  }
  return out;
}

/**
 * Load every adapter of a PEFT directory onto `model` ("default" from the top, the others from their
 * folders), each under its folder's name. Resolves to the adapted paths by adapter name. On an error
 * the adapters already loaded from it are left in place and the message names the folder.
 */
export async function loadPeftDirectory(model: Module<any, any>, files: PeftDirectory, options: Omit<LoadPeftOptions, 'name'> = {}): Promise<Record<string, string[]>> {
  checkKnownKeys('loadPeftDirectory: options', options, ['rename', 'rng', 'allowNonFinite']);
  if (typeof files !== 'object' || files === null) throw new Error(`loadPeftDirectory: files=${describeValue(files)} must be an object of relative path → contents`);
  const names = Object.keys(files)
    .filter((p) => p === CONFIG || (p.endsWith(`/${CONFIG}`) && p.split('/').length === 2))
    .map((p) => (p === CONFIG ? 'default' : p.slice(0, -CONFIG.length - 1)))
    .sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a < b ? -1 : 1));
  if (names.length === 0) throw new Error(`loadPeftDirectory: no ${CONFIG} at the top or in a folder (files: ${Object.keys(files).slice(0, 8).join(', ') || 'none'})`);
  const out: Record<string, string[]> = {};
  for (const name of names) {
    const dir = folderOf(name);
    const weights = Object.hasOwn(files, `${dir}${WEIGHTS}`) ? files[`${dir}${WEIGHTS}`] : undefined;
    if (weights === undefined || typeof weights === 'string') throw new Error(`loadPeftDirectory: ${dir}${WEIGHTS} is missing beside ${dir}${CONFIG}`);
    let config = files[`${dir}${CONFIG}`]!;
    if (typeof config !== 'string') config = new TextDecoder().decode(config);
    try {
      out[name] = await loadPeftAdapter(model, { config, safetensors: weights }, { ...options, name });
    } catch (e) {
      throw new Error(`loadPeftDirectory: adapter "${name}" (${dir || './'}): ${(e as Error).message}`);
    }
  }
  return out;
}
