/** The presets live with the rest of the model's description (src/model/vqvae2.ts); re-exported for existing imports. */
export { PRESETS, PRESET_NAMES, type PresetName, type VQVAE2Config } from './vqvae2.js';
