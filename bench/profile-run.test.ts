// The one "test" `pnpm profile` runs (scripts/profile.mjs): it prints the profile of the model named
// in WEFT_PROFILE (JSON: { model, options, top }). Not part of the bench's cases.
import { it } from 'vitest';
import { formatProfile, profileStep, type ProfileModel, type ProfileOptions } from './profile.js';

const request = JSON.parse(process.env.WEFT_PROFILE ?? '{}') as { model?: ProfileModel; options?: Partial<ProfileOptions>; top?: number };

it(`profile ${request.model ?? '(no model)'}`, async () => {
  if (!request.model) throw new Error('profile-run: set WEFT_PROFILE (run it through `pnpm profile <model>`)');
  const p = await profileStep(request.model, request.options);
  console.log(`\n${formatProfile(request.model, request.options?.backend ?? 'wasm', p, request.top)}\n`);
});
