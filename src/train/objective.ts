import * as tf from '@tensorflow/tfjs';
import type { VQVAE2 } from '../model/vqvae.js';

/** The weight of the latent loss against the reconstruction loss, as the original trains. */
export const DEFAULT_LATENT_LOSS_WEIGHT = 0.5;

export interface Losses {
  /** L1(recon, mel) + latentLossWeight · latent: the training objective. */
  loss: tf.Scalar;
  recon: tf.Scalar;
  latent: tf.Scalar;
  idT: tf.Tensor3D;
  idB: tf.Tensor3D;
}

export interface Gradients extends Losses {
  /** d loss / d parameter by state_dict name, tfjs layouts. */
  grads: Map<string, tf.Tensor>;
}

/**
 * The training objective L1(recon, mel) + latentLossWeight · latent. Meant to run inside
 * tf.variableGrads / optimizer.minimize, whose tidy would dispose everything but the returned
 * scalar: `recon`, `latent`, `idT` and `idB` are therefore tf.keep()'d, and the caller disposes them.
 */
export function losses(model: VQVAE2, mel: tf.Tensor3D, latentLossWeight = DEFAULT_LATENT_LOSS_WEIGHT): Losses {
  const out = tf.tidy(() => {
    const { recon, latentLoss, idT, idB } = model.forward(mel);
    const reconLoss: tf.Scalar = tf.mean(tf.abs(tf.sub(recon, mel)));
    const loss: tf.Scalar = tf.add(reconLoss, tf.mul(latentLossWeight, latentLoss));
    return { loss, recon: reconLoss, latent: latentLoss, idT, idB };
  });
  for (const t of [out.recon, out.latent, out.idT, out.idB]) tf.keep(t);
  return out;
}

/** Two slices' (already weighted) losses and gradients added, their codes concatenated; frees both. */
function sumParts(a: Gradients, b: Gradients): Gradients {
  // Single ops, nothing to tidy (and tf.tidy would not see the tensors inside a Map).
  const sum: Gradients = {
    loss: tf.add(a.loss, b.loss),
    recon: tf.add(a.recon, b.recon),
    latent: tf.add(a.latent, b.latent),
    idT: tf.concat([a.idT, b.idT]),
    idB: tf.concat([a.idB, b.idB]),
    grads: new Map([...a.grads].map(([k, g]) => [k, tf.add(g, b.grads.get(k)!)])),
  };
  for (const part of [a, b]) tf.dispose([part.loss, part.recon, part.latent, part.idT, part.idB, ...part.grads.values()]);
  return sum;
}

function singlePass(model: VQVAE2, mel: tf.Tensor3D, latentLossWeight: number): Gradients {
  let aux: Omit<Losses, 'loss'> | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const { loss, ...rest } = losses(model, mel, latentLossWeight);
    aux = rest;
    return loss;
  }, [...model.variables.values()]);
  const byName = new Map<string, tf.Tensor>();
  for (const [name, v] of model.variables) byName.set(name, grads[v.name]);
  return { loss: value, ...aux!, grads: byName };
}

/**
 * One forward and backward pass: the losses and the gradient of `loss` for every parameter,
 * by state_dict name, in tfjs layouts (the caller disposes all tensors returned).
 *
 * With `microBatch` smaller than the batch, the batch runs in slices of that many clips whose
 * gradients and losses are averaged, weighted by slice size: the same values as one pass (every
 * term of the loss is a mean over clips of per-clip means), in a fraction of the memory.
 */
export function lossAndGradients(model: VQVAE2, mel: tf.Tensor3D, latentLossWeight = DEFAULT_LATENT_LOSS_WEIGHT, microBatch = mel.shape[0]): Gradients {
  const clips = mel.shape[0];
  if (microBatch >= clips) return singlePass(model, mel, latentLossWeight);
  const parts: Gradients[] = [];
  for (let start = 0; start < clips; start += microBatch) {
    const size = Math.min(microBatch, clips - start);
    const slice = tf.slice(mel, [start, 0, 0], [size, -1, -1]);
    const part = singlePass(model, slice, latentLossWeight);
    slice.dispose();
    // Weight now, so that at most two sets of gradients are alive at a time.
    const weighted = <T extends tf.Tensor>(t: T): T => tf.mul(t, size / clips);
    parts.push({
      ...part,
      loss: weighted(part.loss),
      recon: weighted(part.recon),
      latent: weighted(part.latent),
      grads: new Map([...part.grads].map(([k, g]) => [k, weighted(g)])),
    });
    tf.dispose([part.loss, part.recon, part.latent, ...part.grads.values()]);
    if (parts.length === 2) parts.splice(0, 2, sumParts(parts[0], parts[1]));
  }
  return parts[0];
}
